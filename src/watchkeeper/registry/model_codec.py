"""Model artifacts in formats that run no code on load, and the one that does (pickle).

- ``lightgbm-text``: LightGBM boosters, as ``Booster.model_to_string`` text, read back with
  ``lgb.Booster(model_str=...)``. Parsing model text runs no code.
- ``skops``: scikit-learn estimators, through ``skops.io``. Only types on a trusted list are
  rebuilt; nothing else is imported or called.
- ``pickle``: any other model object. Unpickling runs code, so it is loaded only when the
  workspace sets ``training.trust_pickle: true`` (and saved only then, too).

The skops check happens twice: when a model is saved (so a version that could never be
loaded is not registered) and when it is loaded. Types outside skops' own safe list must be
named in ``training.trusted_types``; the error names the ones found.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from watchkeeper.modeling.model import SklearnModel
>>> features = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> model = SklearnModel(LogisticRegression().fit(features, [0, 0, 1, 1]), ["amount"])
>>> encoded = encode_model(model)
>>> encoded.format
'skops'
>>> loaded = decode_model(encoded.format, encoded.data, ["amount"])
>>> bool(np.allclose(loaded.predict_scores(features), model.predict_scores(features)))
True
>>> decode_model("pickle", b"...", ["amount"])
Traceback (most recent call last):
...
watchkeeper.errors.UnsafeModelError: refusing to load a pickled model: unpickling runs arbitrary code. Set training.trust_pickle: true in watchkeeper.yaml only if you trust every artifact in this store

A multiclass or regression model is stored the same way (the booster's text, the estimator
through skops); what the bytes cannot say, its task and its classes, is the
:func:`task_record` kept beside them (in the version's manifest) and given back to
:func:`decode_model`. A binary model's record is empty, so binary versions are stored
exactly as before.

>>> from watchkeeper.modeling.task_models import SklearnClassModel
>>> estimator = LogisticRegression().fit(features, ["b", "a", "c", "c"])
>>> model = SklearnClassModel(estimator, ["amount"], ("c", "b", "a"))
>>> task_record(model)
{'task': 'multiclass', 'classes': ['c', 'b', 'a']}
>>> loaded = decode_model("skops", encode_model(model).data, ["amount"], **task_record(model))
>>> loaded.classes, bool(np.allclose(loaded.predict_probabilities(features),
...                                  model.predict_probabilities(features)))
(('c', 'b', 'a'), True)
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watchkeeper.config import ModelTask
from watchkeeper.errors import TrainingError, UnsafeModelError
from watchkeeper.modeling.model import LightGBMModel, Model, SklearnModel
from watchkeeper.modeling.task_models import (
    ClassProbabilityModel,
    LightGBMClassModel,
    LightGBMValueModel,
    SklearnClassModel,
    SklearnValueModel,
    TaskModel,
    as_task_model,
    model_task,
)

LIGHTGBM_TEXT = "lightgbm-text"
SKOPS = "skops"
PICKLE = "pickle"
FORMATS = (LIGHTGBM_TEXT, SKOPS, PICKLE)

MEDIA_TYPES = {
    LIGHTGBM_TEXT: "text/x-lightgbm-model",
    SKOPS: "application/x-skops",
    PICKLE: "application/x-python-pickle",
}

_PICKLE_REFUSED = (
    "unpickling runs arbitrary code. Set training.trust_pickle: true in watchkeeper.yaml only "
    "if you trust every artifact in this store"
)


@dataclass(frozen=True)
class EncodedModel:
    """A model as bytes, with the format needed to read it back."""

    format: str
    data: bytes

    @property
    def media_type(self) -> str:
        """The media type recorded with the artifact."""
        return MEDIA_TYPES[self.format]


def encode_model(
    model: TaskModel, *, trust_pickle: bool = False, trusted_types: Sequence[str] = ()
) -> EncodedModel:
    """Serialise ``model`` in the safest format that fits it.

    Raises :class:`UnsafeModelError` when only pickle fits and the workspace does not trust
    it, or when a scikit-learn model holds types that skops would not load.
    """
    if isinstance(model, LightGBMModel | LightGBMClassModel | LightGBMValueModel):
        return EncodedModel(LIGHTGBM_TEXT, model.booster.model_to_string().encode("utf-8"))
    if isinstance(model, SklearnModel | SklearnClassModel | SklearnValueModel):
        import skops.io

        data = skops.io.dumps(model.estimator)
        _check_skops_types(data, trusted_types, "save")
        return EncodedModel(SKOPS, data)
    if not trust_pickle:
        raise UnsafeModelError(
            f"a {type(model).__name__} can only be saved as a pickle, and {_PICKLE_REFUSED}; "
            "or make the trainer return a LightGBM or scikit-learn model"
        )
    return EncodedModel(PICKLE, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def decode_model(
    format: str,
    data: bytes,
    feature_names: Sequence[str],
    *,
    task: ModelTask = "binary",
    classes: Sequence[str] | None = None,
    trust_pickle: bool = False,
    trusted_types: Sequence[str] = (),
) -> TaskModel:
    """Rebuild a model from bytes written by :func:`encode_model` (verify the bytes first).

    ``task`` and ``classes`` are the model's :func:`task_record` (binary by default).

    >>> decode_model("onnx", b"", [])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UnsafeModelError: unknown model format 'onnx': expected one of lightgbm-text, skops, pickle
    """
    if format == LIGHTGBM_TEXT:
        import lightgbm as lgb

        booster = lgb.Booster(model_str=data.decode("utf-8"))
        return as_task_model(booster, feature_names, task, classes)
    if format == SKOPS:
        import skops.io

        trusted = _check_skops_types(data, trusted_types, "load")
        estimator = skops.io.loads(data, trusted=trusted)
        if task == "binary":
            return SklearnModel(estimator, feature_names)
        return as_task_model(estimator, feature_names, task, classes)
    if format == PICKLE:
        if not trust_pickle:
            raise UnsafeModelError(f"refusing to load a pickled model: {_PICKLE_REFUSED}")
        loaded = pickle.loads(data)  # the workspace trusts pickles explicitly
        if not _serves(loaded, task):
            kind = "a model" if task == "binary" else f"a {task} model"
            raise UnsafeModelError(
                f"the pickled object is a {type(loaded).__name__}, not {kind} with "
                f"{_TASK_METHODS[task]}"
            )
        return loaded  # type: ignore[no-any-return]
    raise UnsafeModelError(f"unknown model format {format!r}: expected one of {', '.join(FORMATS)}")


def task_record(model: TaskModel) -> dict[str, Any]:
    """What a model's bytes do not say and loading it needs: its task, and its classes.

    Empty for a binary model (the default of :func:`decode_model`).

    >>> from sklearn.linear_model import LogisticRegression
    >>> task_record(SklearnModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ["x"]))
    {}
    """
    task = model_task(model)
    if task == "binary":
        return {}
    if isinstance(model, ClassProbabilityModel):
        return {"task": task, "classes": list(model.classes)}
    return {"task": task}


_TASK_METHODS = {
    "binary": "predict_scores",
    "multiclass": "predict_probabilities and classes",
    "regression": "predict_values",
}


def _serves(loaded: object, task: ModelTask) -> bool:
    if task == "binary":
        return isinstance(loaded, Model)
    try:
        return model_task(loaded) == task
    except TrainingError:
        return False


def _check_skops_types(data: bytes, trusted_types: Sequence[str], action: str) -> list[str]:
    """The untrusted types found in a skops artifact, once all of them are in ``trusted_types``."""
    import skops.io

    found = list(skops.io.get_untrusted_types(data=data))
    refused = sorted(set(found) - set(trusted_types))
    if refused:
        raise UnsafeModelError(
            f"refusing to {action} a scikit-learn model holding type(s) skops does not trust: "
            f"{', '.join(refused)}; list them under training.trusted_types in watchkeeper.yaml "
            "if you trust them"
        )
    return found


__all__ = [
    "FORMATS",
    "LIGHTGBM_TEXT",
    "MEDIA_TYPES",
    "PICKLE",
    "SKOPS",
    "EncodedModel",
    "decode_model",
    "encode_model",
    "task_record",
]
