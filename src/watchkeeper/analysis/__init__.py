"""Analyse frames against a reference, chunk by chunk: drift, realized and estimated
performance, as a tidy table, JSON or an HTML page.

- :mod:`~watchkeeper.analysis.reference`: :class:`Reference`, read once from a frame;
- :mod:`~watchkeeper.analysis.task_columns`: the task and the columns of its outputs;
- :mod:`~watchkeeper.analysis.drift_chunks`, :mod:`~watchkeeper.analysis.performance_chunks`,
  :mod:`~watchkeeper.analysis.estimation_chunks`: the rows of each analysis;
- :mod:`~watchkeeper.analysis.results`: :class:`AnalysisResult`, and
  :mod:`~watchkeeper.analysis.plots` its HTML page.
"""

from __future__ import annotations

from watchkeeper.analysis.reference import Reference
from watchkeeper.analysis.results import AnalysisResult, ResultRow

__all__ = ["AnalysisResult", "Reference", "ResultRow"]
