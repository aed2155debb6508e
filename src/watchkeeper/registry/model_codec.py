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
>>> from watchkeeper.training.model import SklearnModel
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
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass

from watchkeeper.errors import UnsafeModelError
from watchkeeper.training.model import LightGBMModel, Model, SklearnModel

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
    model: Model, *, trust_pickle: bool = False, trusted_types: Sequence[str] = ()
) -> EncodedModel:
    """Serialise ``model`` in the safest format that fits it.

    Raises :class:`UnsafeModelError` when only pickle fits and the workspace does not trust
    it, or when a scikit-learn model holds types that skops would not load.
    """
    if isinstance(model, LightGBMModel):
        return EncodedModel(LIGHTGBM_TEXT, model.booster.model_to_string().encode("utf-8"))
    if isinstance(model, SklearnModel):
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
    trust_pickle: bool = False,
    trusted_types: Sequence[str] = (),
) -> Model:
    """Rebuild a model from bytes written by :func:`encode_model` (verify the bytes first).

    >>> decode_model("onnx", b"", [])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UnsafeModelError: unknown model format 'onnx': expected one of lightgbm-text, skops, pickle
    """
    if format == LIGHTGBM_TEXT:
        import lightgbm as lgb

        return LightGBMModel(lgb.Booster(model_str=data.decode("utf-8")), feature_names)
    if format == SKOPS:
        import skops.io

        trusted = _check_skops_types(data, trusted_types, "load")
        return SklearnModel(skops.io.loads(data, trusted=trusted), feature_names)
    if format == PICKLE:
        if not trust_pickle:
            raise UnsafeModelError(f"refusing to load a pickled model: {_PICKLE_REFUSED}")
        loaded = pickle.loads(data)  # the workspace trusts pickles explicitly
        if not isinstance(loaded, Model):
            raise UnsafeModelError(
                f"the pickled object is a {type(loaded).__name__}, not a model with predict_scores"
            )
        return loaded
    raise UnsafeModelError(f"unknown model format {format!r}: expected one of {', '.join(FORMATS)}")


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
]
