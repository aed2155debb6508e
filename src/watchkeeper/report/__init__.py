"""The model health report: one self-contained HTML page of a workspace's monitoring history.

``build_report(workspace)`` returns the page; ``write_report(workspace, path)`` writes it.
The same page is ``watchkeeper report --out report.html`` and the service's ``GET /dashboard``.
"""

from __future__ import annotations

from watchkeeper.report.page import build_report, write_report

__all__ = ["build_report", "write_report"]
