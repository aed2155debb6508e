"""Lineage: typed records that round-trip, a stable frame hash, git state without surprises."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.modeling.model import LightGBMModel
from watchkeeper.registry.lineage import CodeLineage, DataLineage, EnvironmentLineage, Lineage
from watchkeeper.registry.lineage_capture import (
    code_lineage,
    environment_lineage,
    frame_content_hash,
    git_state,
)
from watchkeeper.registry.registry import ModelRegistry


def sample_frame() -> pl.DataFrame:
    rng = np.random.default_rng(5)
    return pl.DataFrame(
        {
            "amount": rng.normal(size=500),
            "merchant": rng.choice(["a", "b", "c"], 500),
            "label": rng.integers(0, 2, 500),
            "note": [None if i % 7 else "x" for i in range(500)],
        }
    )


def sample_lineage() -> Lineage:
    return Lineage(
        data=DataLineage(
            table_versions={"transactions": 12, "outcomes": None},
            window_start="2026-01-01T00:00:00+00:00",
            window_end="2026-03-31T00:00:00+00:00",
            maturity_cutoff="2026-03-31T00:00:00+00:00",
            rows=1000,
            positives=20,
            frame_sha256="ab" * 32,
            as_of="2026-05-30T00:00:00+00:00",
            slices={"train": {"rows": 700, "positives": 14}},
        ),
        code=code_lineage(Path.cwd(), "cd" * 32),
        environment=environment_lineage(),
        trainer="lightgbm",
        hyperparameters={"num_leaves": 31, "learning_rate": 0.05},
        seed=7,
        threshold={"value": 0.8, "policy": "flag_rate", "target": 0.01},
        evaluation={"pr_auc": 0.71, "business_value": 1234.5},
        parent_version=1,
        trigger="PSI 0.31 on merchant_category in week 2026-06-01",
    )


def test_frame_hash_ignores_row_order_column_order_and_chunks() -> None:
    frame = sample_frame()
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1).select(reversed(frame.columns))
    chunked = pl.concat([frame[:100], frame[100:]], rechunk=False)
    digest = frame_content_hash(frame)
    assert frame_content_hash(shuffled) == digest == frame_content_hash(chunked)
    changed = frame.with_columns(pl.when(pl.int_range(500) == 3).then(9.0).otherwise("amount"))
    assert frame_content_hash(changed) != digest
    assert frame_content_hash(frame.head(0)) == frame_content_hash(frame.head(0))
    keyed = frame.with_row_index("event_id")
    assert frame_content_hash(keyed, key=["event_id"]) == frame_content_hash(
        keyed.reverse().select(reversed(keyed.columns)), key=["event_id"]
    )


def test_frame_hash_is_stable_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "frame.parquet"
    sample_frame().write_parquet(path)
    code = (
        "import polars as pl, sys; "
        "from watchkeeper.registry.lineage_capture import frame_content_hash; "
        f"print(frame_content_hash(pl.read_parquet({str(path)!r})))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == frame_content_hash(pl.read_parquet(path))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state_reports_commit_and_dirty_flag(tmp_path: Path) -> None:
    def git(*arguments: str) -> None:
        subprocess.run(["git", *arguments], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "watchkeeper.yaml").write_text("model: {name: fraud}\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "first")
    commit, dirty = git_state(tmp_path)
    assert commit is not None and len(commit) == 40 and dirty is False
    (tmp_path / "watchkeeper.yaml").write_text("model: {name: other}\n")
    assert git_state(tmp_path) == (commit, True)


def test_git_state_is_unknown_without_git_or_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert git_state(tmp_path) == (None, None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_state(Path.cwd()) == (None, None)
    code = code_lineage(Path.cwd(), None)
    assert (code.git_commit, code.git_dirty) == (None, None)
    assert code.watchkeeper_version == "0.1.0"


def test_environment_lists_key_packages() -> None:
    environment = environment_lineage()
    assert environment.python.count(".") == 2
    assert environment.packages["lightgbm"] is not None
    assert environment_lineage(["no-such-package-here"]).packages == {"no-such-package-here": None}


def test_lineage_round_trips_through_json_and_the_registry(
    registry: ModelRegistry, lightgbm_model: LightGBMModel
) -> None:
    lineage = sample_lineage()
    assert Lineage.from_dict(json.loads(json.dumps(lineage.to_dict()))) == lineage
    version = registry.register(
        lightgbm_model,
        feature_schema={"amount": "Float64", "night": "Float64"},
        threshold=0.8,
        lineage=lineage,
    ).version
    assert registry.lineage(version) == lineage
    bare = registry.register(
        lightgbm_model, feature_schema={"amount": "Float64", "night": "Float64"}, threshold=0.8
    ).version
    assert registry.lineage(bare) is None


def test_lineage_parts_are_typed() -> None:
    lineage = sample_lineage()
    assert isinstance(lineage.code, CodeLineage)
    assert isinstance(lineage.environment, EnvironmentLineage)
    assert lineage.code.feature_spec_sha256 == "cd" * 32
