"""The workspace file, ``watchkeeper.yaml``: its schema and how it is loaded."""

from __future__ import annotations

from watchkeeper.config.compute import ComputeConfig, ComputeEngine, SparkConfig
from watchkeeper.config.features import FeaturesConfig, InputField, TransformConfig
from watchkeeper.config.lifecycle import (
    AlertRuleConfig,
    AlertsConfig,
    BusinessValueConfig,
    ChannelConfig,
    DriftThresholds,
    MonitoringConfig,
    RetrainingConfig,
    RolloutConfig,
    ServingConfig,
    TrainingConfig,
)
from watchkeeper.config.loading import CONFIG_FILE_NAME, load_config, parse_config
from watchkeeper.config.workspace_file import (
    KeysConfig,
    LabelConfig,
    ModelConfig,
    ModelServing,
    ModelTask,
    OnlineStateConfig,
    OwnerConfig,
    ProvisionalLabelsConfig,
    StorageConfig,
    WorkspaceConfig,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "AlertRuleConfig",
    "AlertsConfig",
    "BusinessValueConfig",
    "ChannelConfig",
    "ComputeConfig",
    "ComputeEngine",
    "DriftThresholds",
    "FeaturesConfig",
    "InputField",
    "KeysConfig",
    "LabelConfig",
    "ModelConfig",
    "ModelServing",
    "ModelTask",
    "MonitoringConfig",
    "OnlineStateConfig",
    "OwnerConfig",
    "ProvisionalLabelsConfig",
    "RetrainingConfig",
    "RolloutConfig",
    "ServingConfig",
    "SparkConfig",
    "StorageConfig",
    "TrainingConfig",
    "TransformConfig",
    "WorkspaceConfig",
    "load_config",
    "parse_config",
]
