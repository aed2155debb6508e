"""How a multiclass or regression version's performance is estimated before labels arrive.

Fitted on the version's holdout at training time and kept in its manifest's ``extra`` under
``estimator``, where monitoring reads it back:

- multiclass: ``{"method": "cbpe_ovr", "calibrator": ...}``, the
  :class:`~watchkeeper.performance.multiclass_estimation.MulticlassCalibrator` of the
  holdout's class probabilities and actual classes, inline;
- regression: ``{"method": "dle", "artifact_sha256": ...}``, the
  :class:`~watchkeeper.performance.regression_estimation.LossEstimator` of the holdout's
  features, predictions and actual values, stored as JSON in the artifact store (its two
  LightGBM models are too large for a manifest).

A binary version keeps its ``calibrator`` in the manifest, as before.

>>> import numpy as np
>>> estimator = class_estimator(np.array([[0.9, 0.1], [0.3, 0.7]]), ["a", "b"], ("a", "b"))
>>> estimator["method"], load_estimator({"estimator": estimator}, None).classes
('cbpe_ovr', ('a', 'b'))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy.typing as npt
import polars as pl

from watchkeeper.errors import RegistryError
from watchkeeper.performance.multiclass_estimation import MulticlassCalibrator
from watchkeeper.performance.regression_estimation import LossEstimator
from watchkeeper.storage.artifacts.store import ArtifactStore

CLASS_ESTIMATOR_METHOD = "cbpe_ovr"
"""One-vs-rest confidence-based performance estimation of a multiclass model."""

VALUE_ESTIMATOR_METHOD = "dle"
"""Direct loss estimation of a regression model."""

ESTIMATOR_MEDIA_TYPE = "application/json"


def class_estimator(
    probabilities: npt.ArrayLike, labels: Sequence[str], classes: Sequence[str]
) -> dict[str, Any]:
    """The manifest entry of a multiclass version: its calibrator fitted on the holdout's
    ``probabilities`` (rows x ``classes``) and actual class names ``labels``."""
    calibrator = MulticlassCalibrator.fit(probabilities, labels, classes)
    return {"method": CLASS_ESTIMATOR_METHOD, "calibrator": calibrator.to_dict()}


def value_estimator(
    features: pl.DataFrame,
    predicted: npt.ArrayLike,
    actual: npt.ArrayLike,
    artifacts: ArtifactStore,
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """The manifest entry of a regression version: its loss estimator fitted on the
    holdout's model ``features``, ``predicted`` and ``actual`` values, stored as JSON."""
    estimator = LossEstimator.fit(features, predicted, actual, seed=seed)
    data = json.dumps(estimator.to_dict(), sort_keys=True, separators=(",", ":"))
    stored = artifacts.put_bytes(data.encode("utf-8"), ESTIMATOR_MEDIA_TYPE)
    return {"method": VALUE_ESTIMATOR_METHOD, "artifact_sha256": stored.sha256}


def load_estimator(
    extra: Mapping[str, Any], artifacts: ArtifactStore | None
) -> MulticlassCalibrator | LossEstimator | None:
    """The estimator a manifest's ``extra`` names (None without one), its artifact verified.

    ``artifacts`` may be None for a multiclass estimator, which needs none.
    """
    entry = extra.get("estimator")
    if entry is None:
        return None
    method = entry.get("method") if isinstance(entry, Mapping) else None
    if method == CLASS_ESTIMATOR_METHOD:
        return MulticlassCalibrator.from_dict(entry["calibrator"])
    if method == VALUE_ESTIMATOR_METHOD:
        if artifacts is None:
            raise RegistryError("a regression estimator is read from the artifact store")
        stored = artifacts.get_bytes(entry["artifact_sha256"])
        return LossEstimator.from_dict(json.loads(stored.decode("utf-8")))
    raise RegistryError(f"unknown performance estimator method {method!r} in the manifest")


__all__ = [
    "CLASS_ESTIMATOR_METHOD",
    "ESTIMATOR_MEDIA_TYPE",
    "VALUE_ESTIMATOR_METHOD",
    "class_estimator",
    "load_estimator",
    "value_estimator",
]
