"""Export to MLflow: runs, registered model versions, lineage tags and aliases, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.modeling.model import LightGBMModel
from watchkeeper.registry.lineage import CodeLineage, DataLineage, EnvironmentLineage, Lineage
from watchkeeper.registry.registry import CHALLENGER, CHAMPION, ModelRegistry
from watchkeeper.storage.artifacts.store import open_artifact_store
from watchkeeper.storage.metadata.store import open_metadata_store

mlflow = pytest.importorskip(
    "mlflow", reason="mlflow is not installed: pip install -e '.[mlflow]' to run the export test"
)

SCHEMA = {"amount": "Float64", "night": "Float64"}
TRIGGER = "PSI 0.31 on merchant_category in week 2026-06-01"


def lineage() -> Lineage:
    return Lineage(
        data=DataLineage(
            {"transactions": 4}, "2026-01-01", "2026-04-01", "2026-04-01", 900, 30, "ab" * 32
        ),
        code=CodeLineage("0" * 40, False, "0.1.0", None),
        environment=EnvironmentLineage("3.11.9", "Linux", {"lightgbm": "4.6.0"}),
        trainer="lightgbm",
        hyperparameters={"num_leaves": 31},
        seed=0,
        threshold={"value": 0.6},
        evaluation={"pr_auc": 0.68},
        parent_version=1,
        trigger=TRIGGER,
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside MLflow's SQLAlchemy store
def test_versions_lineage_and_aliases_reach_mlflow(
    lightgbm_model: LightGBMModel, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    from watchkeeper.registry.mlflow_export import export_to_mlflow

    clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
    metadata = open_metadata_store(f"sqlite:///{tmp_path / 'metadata.db'}", clock)
    registry = ModelRegistry(metadata, open_artifact_store(tmp_path / "artifacts"), "card-fraud")
    first = registry.register(
        lightgbm_model, feature_schema=SCHEMA, threshold=0.5, metrics={"pr_auc": 0.61}
    ).version
    second = registry.register(
        lightgbm_model,
        feature_schema=SCHEMA,
        threshold=0.6,
        metrics={"pr_auc": 0.68, "business_value": 1200.0},
        feature_spec=b'{"spec": 1}',
        lineage=lineage(),
    ).version
    registry.set_status(first, CHAMPION, reason="first")
    registry.set_status(second, CHALLENGER, reason="passed the gate")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"

    store = (tmp_path / "mlflow-artifacts").as_uri()
    exported = export_to_mlflow(registry, uri, artifact_location=store)
    assert [(item.version, item.exported_now) for item in exported] == [(1, True), (2, True)]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    by_number = {item.version: item.mlflow_version for item in exported}

    def aliases() -> dict[str, str]:
        found = client.get_registered_model("card-fraud").aliases
        return {alias: str(number) for alias, number in found.items()}

    assert aliases() == {"champion": by_number[1], "challenger": by_number[2]}
    version = client.get_model_version("card-fraud", by_number[2])
    assert version.tags["watchkeeper.version"] == "2"
    assert version.tags["watchkeeper.lineage.trigger"] == TRIGGER
    assert version.tags["watchkeeper.lineage.data.table_versions.transactions"] == "4"
    run = client.get_run(exported[1].run_id)
    assert run.data.metrics == {"pr_auc": 0.68, "business_value": 1200.0}
    assert run.data.params == {"num_leaves": "31"}
    assert run.data.tags["watchkeeper.lineage.trigger"] == TRIGGER
    logged = {item.path for item in client.list_artifacts(run.info.run_id, "model")}
    assert logged == {"model/manifest.json", "model/model.lightgbm-text", "model/feature_spec.json"}

    registry.set_status(second, CHAMPION, reason="canary passed")
    again = export_to_mlflow(registry, uri, artifact_location=store)
    assert [item.exported_now for item in again] == [False, False]
    assert len(client.search_model_versions("name = 'card-fraud'")) == 2
    assert aliases() == {"champion": by_number[2]}
    metadata.close()
