"""``watchkeeper train`` and ``watchkeeper retrain``: one training attempt, by hand.

Both call :mod:`watchkeeper.application.training` (which opens the workspace in event time at
the as-of moment and runs one recorded attempt) and render its result; ``train`` registers without
the gate (the first version becomes champion, later ones candidates), ``retrain`` validates
against the champion (passing makes the new version ``challenger``). Every attempt is
recorded in the audit log. An attempt refused on its input (no outcomes, an empty window, a
schema change, a trainer that raised) prints one line on stderr and exits with code 2; a
version the gate turns down is an honest result, exit 0, ``accepted: false``; so is an
attempt whose holdout cannot decide (too few positives, too little power): ``outcome:
undecided``, "not enough matured positives until DATE".
The metrics printed are the task's (``model.task``): business value, PR AUC, recall,
precision and flag rate of a binary model; business value, macro F1, accuracy and weighted F1
of a multiclass one; business value, MAE, RMSE, R² and bias of a regression one. A model
served outside watchkeeper (``model.serving: external``) is refused with exit code 2: its
team retrains it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from watchkeeper import metric_names as names
from watchkeeper.cli.app import EXIT_USER_ERROR, JsonOption, WorkspaceOption, app
from watchkeeper.cli.engine_option import EngineOption, compute_config
from watchkeeper.cli.output import emit_json, format_number, stderr, stdout
from watchkeeper.clock import parse_instant
from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.config import SparkConfig
    from watchkeeper.training.attempts import RetrainAttempt

SHOWN_METRICS = names.HOLDOUT_HEADLINE
"""The holdout metrics each task's attempt prints, in order."""


def parse_as_of(text: str | None) -> datetime | None:
    """The ``--as-of`` time (see :func:`~watchkeeper.clock.parse_instant`), or None for now.

    >>> parse_as_of("2025-07-01")
    datetime.datetime(2025, 7, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    return None if text is None else parse_instant("--as-of", text)


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="TIME",
        help=(
            "Train as of this ISO date/time: only events up to it and outcomes received by it. "
            "Default: the newest transaction's time (never after the workspace clock's now)."
        ),
    ),
]


SampleOption = Annotated[
    float | None,
    typer.Option(
        "--sample",
        metavar="FRACTION",
        help=(
            "Train on this fraction of the entities (keys.entity, e.g. cards) of the training "
            "slice, each with all its rows, chosen by a hash of the entity and training.seed: "
            "the same rows on every run and on either engine. For windows larger than memory; "
            "the validation slice and holdout stay whole. Default: training.sample, else all."
        ),
    ),
]


@app.command()
def train(
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
    engine: EngineOption = None,
    sample: SampleOption = None,
) -> None:
    """Train a version by hand: the first becomes champion, later ones candidates."""
    from watchkeeper.application.training import train as train_version

    with _progress() as progress:
        run = train_version(
            workspace,
            as_of=parse_as_of(as_of),
            progress=progress,
            spark=_spark(workspace, engine),
            sample=sample_fraction(sample),
        )
    _report(run.attempt, run.document(), json_output)


@app.command()
def retrain(
    reason: Annotated[
        str | None,
        typer.Option(help="Why, for the record; without it the retrain policy decides."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Train even when the policy says no.")
    ] = False,
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
    engine: EngineOption = None,
    sample: SampleOption = None,
) -> None:
    """Run one retraining attempt validated against the champion, and print its record."""
    from watchkeeper.application.training import retrain as retrain_version
    from watchkeeper.training.retrain_policy import RetrainDecision

    with _progress() as progress:
        outcome = retrain_version(
            workspace,
            reason=reason,
            force=force,
            as_of=parse_as_of(as_of),
            progress=progress,
            spark=_spark(workspace, engine),
            sample=sample_fraction(sample),
        )
    if isinstance(outcome, RetrainDecision):
        _report_skipped(outcome.reason, outcome.trigger, outcome.evidence, json_output)
        return
    _report(outcome.attempt, outcome.document(), json_output)


def sample_fraction(value: float | None) -> float | None:
    """``--sample``, checked: a fraction in (0, 1] of the entities, or None.

    >>> sample_fraction(0.25)
    0.25
    >>> sample_fraction(0)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --sample: 0 is not a fraction in (0, 1] of the entities
    """
    if value is not None and not 0 < value <= 1:
        raise ConfigError(f"--sample: {value:g} is not a fraction in (0, 1] of the entities")
    return value


def _spark(root: Path, engine: str | None) -> SparkConfig | None:
    """The Spark settings when the batch engine (``--engine``, else the workspace's) is spark."""
    compute = compute_config(root, engine)
    return compute.spark if compute.engine == "spark" else None


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A status line on stderr that each step of the attempt updates."""
    with stderr.status("preparing the training data") as status:
        yield lambda step: status.update(f"{step}...")


def _report(attempt: RetrainAttempt, document: dict[str, Any], json_output: bool) -> None:
    refused = "error" in attempt.evidence and not attempt.undecided
    if json_output:
        emit_json({"started": True, **document, **attempt.to_dict()})
    elif not refused:
        version = attempt.challenger_version
        verdict = {
            "accepted": "[green]accepted[/]",
            "undecided": "[yellow]undecided[/]",
        }.get(attempt.outcome, "[bold red]not accepted[/]")
        where = f"version {version} ({document['status']})" if version is not None else "no version"
        stdout.print(f"{document['model']}: attempt {verdict}, {where}")
        stdout.print(f"  reason: {escape(attempt.reason)}")
        stdout.print(f"  trigger: {escape(attempt.trigger)}")
        for side in ("champion", "challenger"):
            metrics = getattr(attempt, f"{side}_metrics")
            if metrics:
                shown = ", ".join(
                    f"{name} {format_number(metrics.get(name))}"
                    for name in SHOWN_METRICS[document.get("task", "binary")]
                )
                stdout.print(f"  {side}: {shown}")
    if refused:
        stderr.print(f"[bold red]error:[/] {escape(attempt.summary)}", highlight=False)
        raise typer.Exit(EXIT_USER_ERROR)


def _report_skipped(
    reason: str, trigger: str | None, evidence: dict[str, Any], json_output: bool
) -> None:
    if json_output:
        emit_json({"started": False, "reason": reason, "trigger": trigger, "evidence": evidence})
        return
    stdout.print(f"no retraining: {escape(reason)} (pass --reason or --force to train anyway)")


__all__ = ["SHOWN_METRICS", "parse_as_of", "retrain", "sample_fraction", "train"]
