"""``watchkeeper models``, ``models verify`` and ``lineage``: what the registry holds.

``models verify`` exits with code 1 when any artifact fails its sha256 check (naming each
failing version on stderr), so it can guard a deployment script; a user error (no
workspace, bad configuration) stays code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper import metric_names as names
from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, format_number, stderr, stdout

if TYPE_CHECKING:
    from watchkeeper.registry.registry import ModelRegistry
    from watchkeeper.workspace import Workspace

EXIT_VERIFICATION_FAILED = 1

KEY_METRICS = (
    names.BUSINESS_VALUE,
    names.PR_AUC,
    names.RECALL,
    names.PRECISION,
    names.FLAG_RATE,
    "threshold",
    names.MACRO_F1,
    names.ACCURACY,
    names.MAE,
    names.RMSE,
)
"""The metrics ``watchkeeper models --json`` gives for each version, when recorded (a binary
version has the first six, a multiclass one macro F1 and accuracy, a regression one MAE and
RMSE)."""

TABLE_METRICS: dict[str, dict[str, str]] = {
    "binary": {
        names.BUSINESS_VALUE: "value",
        names.PR_AUC: "PR AUC",
        names.RECALL: "recall",
        names.FLAG_RATE: "flags",
    },
    "multiclass": {
        names.BUSINESS_VALUE: "value",
        names.MACRO_F1: "macro F1",
        names.ACCURACY: "accuracy",
    },
    "regression": {names.BUSINESS_VALUE: "value", names.MAE: "MAE", names.RMSE: "RMSE"},
}
"""The metrics of the human table per task (fewer, to fit a terminal), with their headers."""

models_app = typer.Typer(
    name="models",
    help="List model versions with their status, aliases and key metrics.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(models_app)


@models_app.callback()
def models(
    context: typer.Context,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """List every version of the workspace's model, its status, aliases and key metrics."""
    if context.invoked_subcommand is not None:
        return
    from watchkeeper.workspace import Workspace as OpenWorkspace

    with OpenWorkspace.open(workspace) as opened:
        report = versions_report(_registry(opened))
        shown = TABLE_METRICS[opened.config.model.task]
    if json_output:
        emit_json(report)
        return
    if not report["versions"]:
        stdout.print(f"model {report['model']} has no registered version yet")
        return
    table = Table(title=f"model {report['model']}")
    table.add_column("version", justify="right")
    table.add_column("status")
    table.add_column("created")
    for header in shown.values():
        table.add_column(header, justify="right")
    for row in report["versions"]:
        table.add_row(
            str(row["version"]),
            row["status"],
            row["created_at"].date().isoformat(),
            *(format_number(row["metrics"].get(name), missing="") for name in shown),
        )
    stdout.print(table)


@models_app.command("verify")
def verify(workspace: WorkspaceOption = Path(), json_output: JsonOption = False) -> None:
    """Re-check every artifact of every version against its sha256 (exit 1 on any failure)."""
    from watchkeeper.workspace import Workspace as OpenWorkspace

    with OpenWorkspace.open(workspace) as opened:
        registry = _registry(opened)
        results = registry.verify()
        model = registry.model_name
    failing = [result for result in results if not result.ok]
    if json_output:
        emit_json(
            {
                "model": model,
                "ok": not failing,
                "versions": [
                    {"version": result.version, "ok": result.ok, "failures": result.failures}
                    for result in results
                ],
            }
        )
    else:
        for result in results:
            mark = "[green]ok[/]" if result.ok else "[bold red]FAILED[/]"
            stdout.print(f"version {result.version}: {mark}")
            for failure in result.failures:
                stdout.print(f"  {failure}", markup=False)
        if not failing:
            stdout.print(f"{len(results)} version(s) of {model} verified")
    if failing:
        for result in failing:
            stderr.print(
                f"version {result.version} of {model} failed verification: "
                f"{'; '.join(result.failures)}",
                markup=False,
            )
        raise typer.Exit(EXIT_VERIFICATION_FAILED)


@app.command()
def lineage(
    version: Annotated[
        str, typer.Argument(help="A version number, or an alias (champion, challenger).")
    ],
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Show how a model version was made: data, code, environment, settings and trigger."""
    from watchkeeper.workspace import Workspace as OpenWorkspace

    with OpenWorkspace.open(workspace) as opened:
        registry = _registry(opened)
        record = registry.record(version)
        found = registry.lineage(record.version)
    document: dict[str, Any] = {
        "model": record.model,
        "version": record.version,
        "status": record.status,
        "lineage": found.to_dict() if found is not None else None,
    }
    if json_output:
        emit_json(document)
        return
    stdout.print(f"[bold]{record.model} version {record.version}[/] ({record.status})")
    if found is None:
        stdout.print("no lineage was recorded with this version")
        return
    for section, values in document["lineage"].items():
        if isinstance(values, dict):
            stdout.print(f"[bold]{section}[/]")
            for key, value in values.items():
                stdout.print(f"  {key}: {value}", markup=False)
        else:
            stdout.print(f"[bold]{section}[/]: {escape(str(values))}")


def versions_report(registry: ModelRegistry) -> dict[str, Any]:
    """Every version with its status, aliases and key metrics, as plain data."""
    aliases = registry.aliases()
    rows = []
    for record in registry.versions():
        rows.append(
            {
                "version": record.version,
                "status": record.status,
                "aliases": sorted(
                    name for name, named in aliases.items() if named == record.version
                ),
                "created_at": record.created_at,
                "created_by": record.created_by,
                "artifact_sha256": record.artifact_sha256,
                "metrics": {
                    name: record.metrics[name] for name in KEY_METRICS if name in record.metrics
                },
            }
        )
    return {"model": registry.model_name, "aliases": aliases, "versions": rows}


def _registry(workspace: Workspace) -> ModelRegistry:
    from watchkeeper.registry.registry import ModelRegistry

    return ModelRegistry.for_workspace(workspace)


__all__ = ["EXIT_VERIFICATION_FAILED", "KEY_METRICS", "lineage", "models", "versions_report"]
