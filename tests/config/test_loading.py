"""The workspace file: defaults, validation and one-line errors naming file and key path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import get_args

import pytest
import yaml

from watchkeeper.config import ModelTask, RetrainingConfig, load_config, parse_config
from watchkeeper.config.workspace_file import PRIMARY_METRICS
from watchkeeper.errors import ConfigError
from watchkeeper.workspace import example_text

MINIMAL = "model: {name: card-fraud}\nowner: {name: Dana Reyes, contact: dana@example.com}\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchkeeper.yaml"
    path.write_text(text)
    return path


def test_minimal_file_gets_the_documented_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.label.positive_outcome == "chargeback"
    assert config.label.maturity_horizon == timedelta(days=60)
    assert config.monitoring.psi.warn == 0.1
    assert config.monitoring.psi.alert == 0.25
    assert config.rollout.canary_share == 0.1
    assert config.rollout.duration == timedelta(hours=48)
    assert config.training.window == timedelta(days=90)
    assert config.keys.entity == "card_id"


def test_the_fraud_example_is_complete_and_valid() -> None:
    config = parse_config(yaml.safe_load(example_text("fraud")))
    assert config.owner.contact == "dana.reyes@example.com"
    windowed = [t for t in config.features.transforms if t.is_windowed]
    assert len(windowed) >= 6
    assert {rule.metric for rule in config.alerts.rules} >= {"psi", "score_psi"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "model: {name: x}\n",
            "watchkeeper.yaml: owner: field required (expected a mapping with name and contact)",
        ),
        (
            "model: {name: x}\nowner: {name: A}\n",
            "owner.contact: field required (expected an e-mail address",
        ),
        (MINIMAL + "monitoring: {psi: {warn: 0.1, alrt: 1}}\n", "monitoring.psi.alrt: unknown key"),
        (
            MINIMAL + "monitoring: {bins: many}\n",
            "monitoring.bins: Input should be a valid integer",
        ),
        (
            MINIMAL + "label: {maturity_horizon: soon}\n",
            "label.maturity_horizon: 'soon' is not a duration",
        ),
        (
            MINIMAL + "monitoring: {psi: {warn: 0.5, alert: 0.2}}\n",
            "monitoring.psi: warn (0.5) must not exceed alert (0.2)",
        ),
        (
            MINIMAL + "rollout: {canary_share: 1.5}\n",
            "rollout.canary_share: Input should be less than 1 (got 1.5)",
        ),
        ("model: {name: x\n", "malformed YAML: line 2, column 1"),
        ("- a\n- b\n", "expected a mapping of sections at the top, found a list"),
        ("", "found an empty file"),
        (
            MINIMAL + "features: {transforms: [{name: c, op: count, window: 1h}]}\n",
            "features.transforms.0: op count needs 'by'",
        ),
        (
            MINIMAL
            + "features: {inputs: {amount: {type: float}}, transforms: [{name: m, op: mean, input: amt, by: amount, window: 1h}]}\n",
            "reads 'amt', which is not among the inputs",
        ),
    ],
)
def test_bad_files_give_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="watchkeeper init"):
        load_config(tmp_path / "watchkeeper.yaml")


def test_environment_variables_are_expanded(tmp_path: Path) -> None:
    text = MINIMAL + "storage: {metadata: '${PG_URL}', events: '${EVENTS:-s3://bucket/events}'}\n"
    config = load_config(write(tmp_path, text), environment={"PG_URL": "postgresql://db/wk"})
    assert config.storage.metadata == "postgresql://db/wk"
    assert config.storage.events == "s3://bucket/events"


def test_unset_environment_variable_is_named(tmp_path: Path) -> None:
    text = MINIMAL + "storage: {metadata: '${PG_URL}'}\n"
    with pytest.raises(
        ConfigError, match=r"storage\.metadata: environment variable PG_URL is not set"
    ):
        load_config(write(tmp_path, text), environment={})


def test_feature_keys_must_agree_with_workspace_keys(tmp_path: Path) -> None:
    text = MINIMAL + "features: {entity: account_id}\n"
    with pytest.raises(
        ConfigError, match=r"features names 'account_id' where keys\.entity is 'card_id'"
    ):
        load_config(write(tmp_path, text))


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    with pytest.raises(ValueError, match="frozen"):
        config.owner.name = "someone else"  # type: ignore[misc]


def test_nested_anchors_are_refused_fast_in_one_line(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 5)]
    path = write(tmp_path, "\n".join(["model: {name: fraud}", *levels]) + "\n")
    with pytest.raises(ConfigError, match=r"expands to more than 100000 values") as raised:
        load_config(path)
    assert "\n" not in str(raised.value)


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "model: {name: fraud}\nloop: &loop [*loop]\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(path)


def test_anchors_and_merge_keys_still_load(tmp_path: Path) -> None:
    text = (
        "owner: &who {name: Dana, contact: dana@example.com}\n"
        "model: {name: fraud}\n"
        "alerts:\n  channels: [{type: log}]\n"
    )
    assert load_config(write(tmp_path, text)).owner.name == "Dana"


@pytest.mark.parametrize(
    ("storage", "key"),
    [
        ("{events: ../elsewhere/events}", "storage.events"),
        ("{spool: 'state/../../spool.db'}", "storage.spool"),
        ("{artifacts: '..'}", "storage.artifacts"),
        ("{metadata: 'sqlite:///../metadata.db'}", "storage.metadata"),
        ("{online_state: {type: sqlite, url: ../state.db}}", "storage.online_state.url"),
    ],
)
def test_relative_storage_paths_may_not_leave_the_workspace(
    tmp_path: Path, storage: str, key: str
) -> None:
    path = write(tmp_path, f"{MINIMAL}storage: {storage}\n")
    with pytest.raises(ConfigError, match=rf"{key}: a relative path must stay inside") as raised:
        load_config(path)
    assert "absolute path" in str(raised.value)


def test_absolute_and_url_storage_locations_are_kept(tmp_path: Path) -> None:
    text = f"{MINIMAL}storage: {{events: /data/events, artifacts: 's3://bucket/a'}}\n"
    storage = load_config(write(tmp_path, text)).storage
    assert (storage.events, storage.artifacts) == ("/data/events", "s3://bucket/a")


def test_primary_metric_choices_are_the_gate_metrics_of_the_tasks() -> None:
    choices = get_args(RetrainingConfig.model_fields["primary_metric"].annotation)
    assert set(choices) == {metric for metrics in PRIMARY_METRICS.values() for metric in metrics}
    assert set(PRIMARY_METRICS) == set(get_args(ModelTask))
