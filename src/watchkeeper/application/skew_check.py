"""``watchkeeper skew-check`` as one use case: the spec the served version was registered with
(or one given), the served features recomputed from the logged raw inputs
(:mod:`~watchkeeper.application.skew_history`), and the mismatch rates recorded and alerted on
(:mod:`~watchkeeper.application.skew_alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watchkeeper.alerts.manager import AlertOutcome
from watchkeeper.application.skew_alerts import record_skew
from watchkeeper.application.skew_history import skew_report
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.features.skew import SkewReport
from watchkeeper.registry.fitted_specs import load_fitted_spec
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.workspace import Workspace

SHOWN_ACTIONS = ("fired", "reminded")
"""The alert actions a skew check tells its caller of at once."""


@dataclass(frozen=True)
class SkewCheck:
    """A skew check's report and the alert rules' outcomes on the rates it recorded."""

    report: SkewReport
    alerts: list[AlertOutcome] = field(default_factory=list)

    @property
    def fired(self) -> list[AlertOutcome]:
        """The alerts that fired or reminded now."""
        return [outcome for outcome in self.alerts if outcome.action in SHOWN_ACTIONS]

    @property
    def changed(self) -> list[AlertOutcome]:
        """Every alert outcome but the quiet ones."""
        return [outcome for outcome in self.alerts if outcome.action != "quiet"]


def served_spec(
    workspace: Workspace, spec_path: Path | None = None, model_version: int | None = None
) -> FittedFeatureSpec:
    """The fitted spec to check against: the file at ``spec_path``, else the one
    ``model_version`` (the champion by default) was registered with."""
    if spec_path is not None:
        return FittedFeatureSpec.load(spec_path)
    version = model_version if model_version is not None else "champion"
    return load_fitted_spec(
        ModelRegistry.for_workspace(workspace), version, remedy="pass --spec FITTED.json"
    )


def skew_check(
    workspace: Workspace,
    *,
    spec_path: Path | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    model_version: int | None = None,
    threshold: float = 0.001,
) -> SkewCheck:
    """Compare the served features of ``[start, end)`` (``model_version``'s predictions only,
    when given) with the batch engine's, record the mismatch rates as ``skew_mismatch_rate``
    and run the skew alert rules over them."""
    fitted = served_spec(workspace, spec_path, model_version)
    report, first, last = skew_report(workspace, fitted, start, end, model_version, threshold)
    if first is None or last is None:
        return SkewCheck(report)
    return SkewCheck(report, record_skew(workspace, report, model_version, first, last))


__all__ = ["SHOWN_ACTIONS", "SkewCheck", "served_spec", "skew_check"]
