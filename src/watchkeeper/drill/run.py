"""A fire drill for the monitoring setup: inject a named drift into a copy of recent traffic,
recompute what monitoring would see, and tell which monitors and alert rules would fire.

:func:`run_drill` reads the workspace (registry, event store, configuration) and writes
nothing to any of its stores: the copy, the features, the profiles, the metric rows and the
rule evaluations all stay in memory. The same drill without injection — the **control** —
runs alongside, so a monitor that fires in the drill but not in the control was fired by the
injected drift, and the user sees the drill does not fire on everything.

>>> import tempfile
>>> from pathlib import Path
>>> root = Workspace.create(Path(tempfile.mkdtemp()) / "ws")
>>> with Workspace.open(root) as workspace:
...     run_drill(workspace, "amount-inflation")
Traceback (most recent call last):
...
watchkeeper.errors.RegistryError: model 'card-fraud' has no champion to drill; promote a version first
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from watchkeeper import metric_names as names
from watchkeeper.drill.findings import (
    MonitorFinding,
    RuleFinding,
    monitor_findings,
    rule_findings,
)
from watchkeeper.drill.monitored_windows import Champion, MonitoredWindows, monitor_windows
from watchkeeper.drill.scenarios import Scenario, get_scenario
from watchkeeper.drill.traffic import read_recent_traffic
from watchkeeper.errors import ConfigError, RegistryError
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.monitoring.job.rejections import read_rejections, rejections_by_window
from watchkeeper.monitoring.job.version_context import load_version_context
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.workspace import Workspace

DEFAULT_DAYS = 14
LABELLED_METRICS = frozenset(
    {
        names.LABEL_COVERAGE,
        *names.PERFORMANCE_METRICS,
        *(bound for name in names.PERFORMANCE_METRICS for bound in names.interval_bounds(name)),
        *names.BUSINESS_METRICS,
    }
)
"""Realized metrics: they need matured labels, which injected traffic cannot have."""
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DrillReport:
    """What a drill injected, and what monitoring would have done about it and about the
    control (the same traffic without injection)."""

    model: str
    champion: int
    scenario: Scenario
    severity: float
    field: str | None
    seed: int
    days: int
    source: str
    windows: tuple[str, ...]
    injected: int
    drill: MonitoredWindows
    control: MonitoredWindows
    monitors: tuple[MonitorFinding, ...]
    control_monitors: tuple[MonitorFinding, ...]
    rules: tuple[RuleFinding, ...]
    control_rules: tuple[RuleFinding, ...]
    notes: tuple[str, ...] = ()

    @property
    def silent_monitors(self) -> tuple[str, ...]:
        """The monitors the injected drift left silent."""
        return tuple(finding.name for finding in self.monitors if finding.state == "silent")

    @property
    def control_fired(self) -> tuple[str, ...]:
        """Monitors and rules that fire on the control too (ideally none)."""
        monitors = [item.name for item in self.control_monitors if item.state == "fired"]
        rules = [f"rule:{item.rule}" for item in self.control_rules if item.state == "fired"]
        return (*monitors, *rules)

    def to_dict(self) -> dict[str, Any]:
        """A stable JSON-ready document (keys fixed, lists sorted by monitor and rule order)."""
        control_states = {item.name: item.state for item in self.control_monitors}
        control_rules = {item.rule: item for item in self.control_rules}
        monitors = [
            {**finding.to_dict(), "control_state": control_states.get(finding.name, "silent")}
            for finding in self.monitors
        ]
        rules = []
        for finding in self.rules:
            control = control_rules[finding.rule]
            rules.append(
                {
                    **finding.to_dict(),
                    "control": {
                        "state": control.state,
                        "breached_windows": control.breached_windows,
                        "first_firing_window": control.first_firing_window,
                    },
                }
            )
        return {
            "model": self.model,
            "champion": self.champion,
            "scenario": {
                "name": self.scenario.name,
                "description": self.scenario.description,
                "severity": self.severity,
                "severity_meaning": self.scenario.severity_meaning,
                "field": self.field,
            },
            "seed": self.seed,
            "days": self.days,
            "source": self.source,
            "windows": list(self.windows),
            "events": {
                "drilled": self.drill.events,
                "injected": self.injected,
                "rejected": self.drill.rejected,
                "flagged": self.drill.flagged,
                "control_rejected": self.control.rejected,
                "control_flagged": self.control.flagged,
            },
            "monitors": monitors,
            "rules": rules,
            "fired_monitors": [item.name for item in self.monitors if item.state == "fired"],
            "silent_monitors": list(self.silent_monitors),
            "control": {
                "fired_monitors": [
                    item.name for item in self.control_monitors if item.state == "fired"
                ],
                "fired_rules": [item.rule for item in self.control_rules if item.state == "fired"],
            },
            "notes": list(self.notes),
        }


def load_champion(registry: ModelRegistry) -> Champion:
    """The champion's fitted spec, model and monitoring context (all verified by sha256)."""
    if "champion" not in registry.aliases():
        raise RegistryError(
            f"model {registry.model_name!r} has no champion to drill; promote a version first"
        )
    loaded = registry.load("champion")
    stored = registry.feature_spec("champion")
    if stored is None:
        raise RegistryError(
            f"champion version {loaded.version} of model {registry.model_name!r} was registered "
            "without its fitted feature spec; the drill recomputes features through it"
        )
    return Champion(
        version=loaded.version,
        fitted=FittedFeatureSpec.from_json(stored.decode("utf-8")),
        model=loaded.model,
        feature_names=loaded.manifest.feature_names,
        context=load_version_context(registry, loaded.version),
    )


def declared_order(spec: FeatureSpec, declared: list[str]) -> FeatureSpec:
    """``spec`` with its inputs in the workspace's declared order (a fitted spec's canonical
    JSON sorts them), so a scenario's default field is the first one the user declared.

    >>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "b": {"type": "float"},
    ...     "a": {"type": "float"}}, transforms=[{"name": "x", "op": "log1p", "input": "a"}])
    >>> list(declared_order(spec, ["ts", "a", "b"]).inputs)
    ['ts', 'a', 'b']
    """
    rank = {name: position for position, name in enumerate(declared)}
    names = sorted(spec.inputs, key=lambda name: rank.get(name, len(rank)))
    return spec.model_copy(update={"inputs": {name: spec.inputs[name] for name in names}})


def run_drill(
    workspace: Workspace,
    scenario: str,
    *,
    days: int = DEFAULT_DAYS,
    severity: float | None = None,
    seed: int = 0,
    field: str | None = None,
    progress: Progress | None = None,
) -> DrillReport:
    """Drill ``scenario`` on the last ``days`` windows of ``workspace``'s traffic (read only).

    ``severity`` None takes the scenario's default; ``seed`` picks the events a share
    scenario changes; ``field`` the input ``missing-values`` / ``schema-break`` act on.
    """
    say = progress or (lambda step: None)
    chosen = get_scenario(scenario)
    if days < 1:
        raise ConfigError(f"--days {days} must be at least 1")
    strength = chosen.check_severity(chosen.default_severity if severity is None else severity)
    config = workspace.config
    say("loading the champion")
    champion = load_champion(ModelRegistry.for_workspace(workspace))
    spec = declared_order(champion.fitted.spec, list(config.features.inputs))
    say("copying recent traffic")
    traffic = read_recent_traffic(
        workspace.events,
        spec,
        days=days,
        window_length=config.monitoring.window,
        workspace_name=f"workspace {workspace.root}",
    )
    say(f"injecting {chosen.name}")
    injection = chosen.inject(
        traffic.frame, traffic.drilled, spec, strength, field, np.random.default_rng(seed)
    )
    logged: dict[Window, dict[str, int]] = {}
    if traffic.source == "predictions":  # events the service refused never reached the log
        windows = list(traffic.windows)
        logged = rejections_by_window(read_rejections(workspace.events, windows), windows)
    say("recomputing features, scores and window profiles (drill)")
    drilled = monitor_windows(
        injection.frame, traffic.drilled, traffic.windows, champion, config, logged
    )
    say("recomputing features, scores and window profiles (control)")
    control = monitor_windows(
        traffic.frame, traffic.drilled, traffic.windows, champion, config, logged
    )
    say("evaluating monitors and alert rules")
    rules = config.alerts.rules
    notes = []
    if traffic.source == "transactions":
        notes.append("no predictions are logged: the drill copied the transactions table")
    if not rules:
        notes.append("the workspace has no alert rules: only the monitors were drilled")
    drill_rules = rule_findings(rules, drilled.rows)
    for finding in drill_rules:
        if finding.state != "no_data":
            continue
        if finding.metric in LABELLED_METRICS:
            notes.append(
                f"rule {finding.rule!r} reads {finding.metric}, which the drill cannot compute "
                "(realized metrics need labels; a drill has none)"
            )
        else:
            notes.append(
                f"rule {finding.rule!r} found no {finding.metric} value in any drilled window"
            )
    return DrillReport(
        model=config.model.name,
        champion=champion.version,
        scenario=chosen,
        severity=strength,
        field=injection.field,
        seed=seed,
        days=days,
        source=traffic.source,
        windows=tuple(str(window) for window in traffic.windows),
        injected=injection.events,
        drill=drilled,
        control=control,
        monitors=tuple(monitor_findings(drilled.rows, control.rows)),
        control_monitors=tuple(monitor_findings(control.rows, control.rows)),
        rules=tuple(drill_rules),
        control_rules=tuple(rule_findings(rules, control.rows)),
        notes=tuple(notes),
    )


__all__ = [
    "DEFAULT_DAYS",
    "LABELLED_METRICS",
    "DrillReport",
    "declared_order",
    "load_champion",
    "run_drill",
]
