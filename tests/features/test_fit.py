"""Fitting: vocabularies with explicit buckets, statistics, canonical JSON and its hash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.errors import ArtifactIntegrityError, FeatureError
from watchkeeper.features import FeatureSpec, FittedFeatureSpec, compute_batch, fit


def spec() -> FeatureSpec:
    return FeatureSpec(
        inputs={
            "ts": {"type": "timestamp"},
            "channel": {"type": "category"},
            "amount": {"type": "float"},
        },
        transforms=[
            {"name": "code", "op": "encode", "input": "channel", "method": "ordinal", "top_k": 2},
            {"name": "hot", "op": "encode", "input": "channel", "method": "one_hot", "top_k": 2},
            {
                "name": "share",
                "op": "encode",
                "input": "channel",
                "method": "frequency",
                "top_k": 2,
            },
            {"name": "z", "op": "standardize", "input": "amount"},
        ],
    )


def training() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": [datetime(2026, 1, 1, tzinfo=UTC)] * 8,
            "channel": ["pos", "web", "web", "atm", "pos", None, "kiosk", "web"],
            "amount": [1.0, 2.0, 3.0, 4.0, None, 6.0, 7.0, 8.0],
        }
    )


def test_vocabulary_keeps_the_top_k_with_ties_broken_by_value() -> None:
    vocabulary = fit(spec(), training()).vocabulary("code")
    assert vocabulary.values == ["web", "pos"]
    assert vocabulary.frequencies == [3 / 8, 2 / 8]
    assert vocabulary.unseen_frequency == 2 / 8 and vocabulary.missing_frequency == 1 / 8


def test_unseen_and_missing_values_fall_in_their_own_buckets() -> None:
    fitted = fit(spec(), training())
    new = training().with_columns(
        channel=pl.Series(["web", "pos", "atm", None, "teleport", "web", "web", "web"])
    )
    features = compute_batch(fitted, new).features
    assert features["code"].to_list()[:5] == [2, 3, 1, 0, 1]
    assert features["share"].to_list()[:5] == [3 / 8, 2 / 8, 2 / 8, 1 / 8, 2 / 8]
    assert features.columns[1:5] == ["hot=web", "hot=pos", "hot:unseen", "hot:missing"]
    assert features.select(features.columns[1:5]).row(4) == (0, 0, 1, 0)


def test_standardisation_uses_the_population_std_of_present_values() -> None:
    fitted = fit(spec(), training())
    present = [1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0]
    mean = sum(present) / len(present)
    std = (sum((v - mean) ** 2 for v in present) / len(present)) ** 0.5
    assert fitted.standardization("z").mean == pytest.approx(mean)
    assert fitted.standardization("z").std == pytest.approx(std)


def test_fitted_spec_round_trips_through_canonical_json(tmp_path: Path) -> None:
    fitted = fit(spec(), training())
    path = tmp_path / "fitted.json"
    digest = fitted.save(path)
    assert digest == fitted.content_hash
    loaded = FittedFeatureSpec.load(path, expected_hash=digest)
    assert loaded == fitted and loaded.to_json() == fitted.to_json()
    assert fit(spec(), training().reverse()).content_hash == digest  # row order does not matter


def test_a_tampered_or_broken_fitted_spec_is_refused(tmp_path: Path) -> None:
    fitted = fit(spec(), training())
    path = tmp_path / "fitted.json"
    digest = fitted.save(path)
    path.write_text(path.read_text().replace('"web"', '"WEB"'))
    with pytest.raises(ArtifactIntegrityError, match="expected"):
        FittedFeatureSpec.load(path, expected_hash=digest)
    path.write_text("{not json")
    with pytest.raises(FeatureError, match="not a valid fitted feature spec"):
        FittedFeatureSpec.load(path)
    with pytest.raises(ValueError, match="needs fitted vocabulary"):
        FittedFeatureSpec(spec=spec(), training_rows=0)
