"""One-row LightGBM scoring through the library's single-row fast path.

``Booster.predict`` pays for a new inner predictor, input checks and an output array on
every call: on one row that is most of the time. LightGBM's C API has a path meant for
exactly this (``LGBM_BoosterPredictForMatSingleRowFastInit`` once, then
``LGBM_BoosterPredictForMatSingleRowFast`` per row, on one thread), which Python's wrapper
does not expose; :class:`SingleRowPredictor` calls it through the wrapper's own library
handle. Scores are the booster's own (a test compares them with ``Booster.predict``).

The call keeps the GIL (a ``ctypes.PyDLL`` view of the same library): one row's trees take a
microsecond or two, while releasing the GIL lets any other thread that wants it (the
prediction log's writer) take it, and getting it back can then cost far more than the call.
The input and output buffers and their pointers are made once: with them, a row costs about
2 µs, against 10 µs when each call converts its arguments.

>>> import lightgbm as lgb
>>> import numpy as np
>>> rows = np.random.default_rng(0).normal(size=(200, 3))
>>> booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4},
...                     lgb.Dataset(rows, label=rows[:, 0] > 0), num_boost_round=5)
>>> predictor = SingleRowPredictor(booster)
>>> bool(np.isclose(predictor.predict(rows[7]), booster.predict(rows[7:8])[0]))
True
>>> predictor.predict_values([float(value) for value in rows[7]]) == predictor.predict(rows[7])
True
"""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import lightgbm as lgb

_PREDICT_NORMAL = 0
"""``C_API_PREDICT_NORMAL``: the transformed output (the probability for a binary model)."""
_DTYPE_FLOAT64 = 1
"""``C_API_DTYPE_FLOAT64``."""


class SingleRowPredictor:
    """Scores one float64 row at a time with ``booster``'s fast single-row path.

    Safe to share between threads (calls take turns: the fast path keeps one buffer).
    """

    def __init__(self, booster: lgb.Booster) -> None:
        from lightgbm.basic import _LIB, _safe_call  # type: ignore[attr-defined]

        self._library = _LIB
        self._check = _safe_call
        self._booster = booster  # keeps the booster's handle alive as long as this
        self.num_features = booster.num_feature()
        self._lock = threading.Lock()
        self._row = np.zeros(self.num_features, dtype=np.float64)
        self._result = np.zeros(1, dtype=np.float64)
        self._length = ctypes.c_int64(0)
        self._config = ctypes.c_void_p()
        holding_gil = ctypes.PyDLL(_LIB._name, handle=_LIB._handle)
        self._predict_row = holding_gil.LGBM_BoosterPredictForMatSingleRowFast
        self._arguments = (
            self._row.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(self._length),
            self._result.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        )
        # the booster's best iteration when it has one (0: every tree), as Booster.predict
        self._check(
            self._library.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(_PREDICT_NORMAL),
                ctypes.c_int(0),
                ctypes.c_int(max(booster.best_iteration, 0) or -1),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(self.num_features),
                ctypes.c_char_p(b"num_threads=1"),
                ctypes.byref(self._config),
            )
        )

    def predict(self, row: npt.NDArray[Any]) -> float:
        """The booster's score of one row of ``num_features`` values (NaN: missing)."""
        values = np.asarray(row, dtype=np.float64).reshape(-1)
        if values.shape[0] != self.num_features:
            raise ValueError(f"a row of {values.shape[0]} values for {self.num_features} features")
        with self._lock:
            self._row[:] = values
            return self._predict_buffered()

    def predict_values(self, values: list[float]) -> float:
        """:meth:`predict` of a list of ``num_features`` floats (NaN: missing)."""
        if len(values) != self.num_features:
            raise ValueError(f"a row of {len(values)} values for {self.num_features} features")
        with self._lock:
            self._row[:] = values
            return self._predict_buffered()

    def _predict_buffered(self) -> float:
        """Score the row in the input buffer (the caller holds the lock)."""
        row, length, result = self._arguments
        status = self._predict_row(self._config, row, length, result)
        if status != 0:
            self._check(status)  # raises LightGBM's error with its message
        return float(self._result[0])

    def __del__(self) -> None:
        config = getattr(self, "_config", None)
        if config is not None and config.value is not None:
            self._library.LGBM_FastConfigFree(config)
            self._config = ctypes.c_void_p()


__all__ = ["SingleRowPredictor"]
