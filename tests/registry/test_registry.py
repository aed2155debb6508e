"""The registry through its API, on SQLite and PostgreSQL: numbering, aliases, integrity."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.errors import ArtifactIntegrityError, RegistryError, StorageError
from watchkeeper.modeling.model import LightGBMModel
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.registry.registry import (
    CANDIDATE,
    CHALLENGER,
    CHAMPION,
    REJECTED,
    RETIRED,
    ROLLED_BACK,
    ModelRegistry,
)
from watchkeeper.storage.artifacts.store import object_key

SCHEMA = {"amount": "Float64", "night": "Float64"}


def register(registry: ModelRegistry, model: LightGBMModel, threshold: float = 0.5) -> int:
    return registry.register(model, feature_schema=SCHEMA, threshold=threshold).version


def test_versions_are_numbered_one_two_three(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    numbers = [register(registry, lightgbm_model, threshold) for threshold in (0.1, 0.2, 0.3)]
    assert numbers == [1, 2, 3]
    assert [record.version for record in registry.versions()] == [1, 2, 3]
    other = ModelRegistry(registry.metadata, registry.artifacts, "another-model")
    assert register(other, lightgbm_model) == 1


def test_concurrent_registrations_get_distinct_numbers(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    found: list[int] = []
    barrier = threading.Barrier(4)

    def work(threshold: float) -> None:
        barrier.wait()
        found.append(register(registry, lightgbm_model, threshold))

    threads = [threading.Thread(target=work, args=(0.1 * (i + 1),)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(found) == [1, 2, 3, 4]


def test_promotion_moves_the_alias_and_retires_the_old_champion_atomically(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    first, second = register(registry, lightgbm_model), register(registry, lightgbm_model)
    registry.set_status(first, CHAMPION, reason="first version")
    registry.set_status(second, CHALLENGER, reason="passed the gate")
    assert registry.aliases() == {"champion": first, "challenger": second}

    registry.set_status(second, CHAMPION, reason="canary passed", actor="dana")
    assert registry.aliases() == {"champion": second}
    statuses = {record.version: record.status for record in registry.versions()}
    assert statuses == {first: RETIRED, second: CHAMPION}
    history = [(entry.version, entry.status, entry.actor) for entry in registry.history()]
    assert history == [
        (1, "registered", "watchkeeper"),
        (2, "registered", "watchkeeper"),
        (1, CHAMPION, "watchkeeper"),
        (2, CHALLENGER, "watchkeeper"),
        (2, CHAMPION, "dana"),
        (1, RETIRED, "dana"),
    ]
    assert "replaced as champion by version 2" in registry.history(first)[-1].reason


def test_concurrent_promotions_leave_exactly_one_champion(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    versions = [register(registry, lightgbm_model) for _ in range(5)]
    registry.set_status(versions[0], CHAMPION, reason="first")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def promote(version: int) -> None:
        barrier.wait()
        try:
            registry.set_status(version, CHAMPION, reason=f"promote {version}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=promote, args=(version,)) for version in versions[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    champions = [record for record in registry.versions() if record.status == CHAMPION]
    assert len(champions) == 1
    assert registry.aliases()["champion"] == champions[0].version
    assert sorted(record.status for record in registry.versions()).count(RETIRED) == 4


def test_status_rules_keep_a_champion_and_refuse_nonsense(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    first, second = register(registry, lightgbm_model), register(registry, lightgbm_model)
    registry.set_status(first, CHAMPION, reason="first")
    with pytest.raises(RegistryError, match="is the champion; promote another"):
        registry.set_status(first, RETIRED, reason="oops")
    with pytest.raises(RegistryError, match="cannot be challenger"):
        registry.set_status(first, CHALLENGER, reason="oops")
    with pytest.raises(RegistryError, match="unknown status 'gold'"):
        registry.set_status(second, "gold", reason="oops")
    with pytest.raises(RegistryError, match="has no version 9"):
        registry.set_status(9, CANDIDATE, reason="oops")
    registry.set_status(second, CHALLENGER, reason="passed")
    registry.set_status(second, ROLLED_BACK, reason="canary flag rate 3x the holdout")
    assert registry.aliases() == {"champion": first}
    assert registry.record(second).status == ROLLED_BACK
    assert registry.record("champion").version == first


def test_rollback_after_promotion_names_the_demoted_status(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    first, second = register(registry, lightgbm_model), register(registry, lightgbm_model)
    registry.set_status(first, CHAMPION, reason="first")
    registry.set_status(second, CHAMPION, reason="promoted")
    registry.set_status(
        first, CHAMPION, reason="realized recall fell", demote_previous_to=ROLLED_BACK
    )
    assert {r.version: r.status for r in registry.versions()} == {1: CHAMPION, 2: ROLLED_BACK}


def test_load_gives_identical_scores_threshold_and_calibrator(
    registry: ModelRegistry,
    lightgbm_model: LightGBMModel,
    frame_and_labels: tuple[pl.DataFrame, np.ndarray],
) -> None:
    frame, labels = frame_and_labels
    scores = lightgbm_model.predict_scores(frame)
    calibrator = ScoreCalibrator.fit(scores, labels)
    registered = registry.register(
        lightgbm_model,
        feature_schema=frame.schema,
        threshold=0.42,
        calibrator=calibrator,
        feature_spec=b'{"transforms": []}',
        metrics={"pr_auc": 0.5},
    )
    registry.set_status(registered.version, CHAMPION, reason="first")
    loaded = registry.load("champion")
    assert np.array_equal(loaded.model.predict_scores(frame), scores)
    assert np.array_equal(loaded.model.predict_scores(frame.to_numpy()), scores)
    assert loaded.threshold == 0.42
    assert loaded.calibrator == calibrator
    assert loaded.manifest.feature_names == ("amount", "night")
    assert registry.feature_spec(1) == b'{"transforms": []}'
    assert loaded.record.metrics == {"pr_auc": 0.5}


def tamper(folder: Path, digest: str) -> None:
    path = folder / object_key(digest)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"tampered")


def test_a_tampered_model_artifact_is_refused_naming_the_version(
    registry: ModelRegistry, lightgbm_model: LightGBMModel, artifact_folder: Path
) -> None:
    register(registry, lightgbm_model)
    version = register(registry, lightgbm_model, threshold=0.7)
    registry.artifacts.put_bytes(b"unrelated")  # a healthy neighbour
    tamper(artifact_folder, registry.manifest(version).model_sha256)
    with pytest.raises(
        ArtifactIntegrityError, match=r"version 2 of model 'fraud': model: .*corrupt"
    ):
        registry.load(version)
    results = registry.verify()
    # both versions share the same model bytes, so both fail
    assert [result.ok for result in results] == [False, False]
    assert "does not match its sha256" in results[1].failures[0]


def test_a_tampered_manifest_is_refused(
    registry: ModelRegistry, lightgbm_model: LightGBMModel, artifact_folder: Path
) -> None:
    version = register(registry, lightgbm_model)
    tamper(artifact_folder, registry.record(version).artifact_sha256)
    with pytest.raises(ArtifactIntegrityError, match="manifest"):
        registry.load(version)
    assert not registry.verify()[0].ok


def test_a_missing_artifact_fails_verification(
    registry: ModelRegistry, lightgbm_model: LightGBMModel, artifact_folder: Path
) -> None:
    version = register(registry, lightgbm_model)
    (artifact_folder / object_key(registry.manifest(version).model_sha256)).unlink()
    assert registry.verify()[0].failures[0].endswith("is missing")
    with pytest.raises(StorageError, match="version 1 of model 'fraud': model"):
        registry.load(version)


def test_resolving_unknown_versions_and_aliases_is_a_clear_error(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    register(registry, lightgbm_model)
    assert registry.resolve("v1") == registry.resolve("1") == 1
    with pytest.raises(RegistryError, match=r"no version 4 \(registered: 1\)"):
        registry.resolve(4)
    with pytest.raises(RegistryError, match="alias 'champion' of model 'fraud' is not set"):
        registry.resolve("champion")


def test_a_new_version_cannot_start_as_champion(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    with pytest.raises(RegistryError, match="starts as 'registered' or 'candidate'"):
        registry.register(lightgbm_model, feature_schema=SCHEMA, threshold=0.5, status=CHAMPION)
    version = registry.register(
        lightgbm_model, feature_schema=SCHEMA, threshold=0.5, status=CANDIDATE
    ).version
    registry.set_status(version, REJECTED, reason="failed the gate")
    assert registry.record(version).status == REJECTED


def test_the_feature_order_survives_registration(
    registry: ModelRegistry, frame_and_labels: tuple[pl.DataFrame, np.ndarray]
) -> None:
    from watchkeeper.training.trainers import train_lightgbm

    frame, labels = frame_and_labels
    reordered = frame.select("night", "amount")  # not alphabetical
    model = train_lightgbm(
        reordered, labels, sample_weight=None, parameters={"n_estimators": 5}, seed=0
    )
    version = registry.register(model, feature_schema=reordered.schema, threshold=0.5).version
    loaded = registry.load(version)
    assert loaded.manifest.feature_names == ("night", "amount")
    assert np.array_equal(
        loaded.model.predict_scores(reordered.to_numpy()), model.predict_scores(frame)
    )
