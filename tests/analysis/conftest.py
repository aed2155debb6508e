"""Simulated model outputs whose truth is known: each target is drawn from the model's own
probabilities, so they are calibrated by construction."""

from __future__ import annotations

import numpy as np
import polars as pl

CLASSES = ("cat", "dog", "owl")


def multiclass_frame(
    rows: int, seed: int, shift: float = 0.0, *, per_class: bool = False
) -> pl.DataFrame:
    """A three-class model's probabilities (a struct column ``probabilities``, or one
    ``proba_<class>`` column each), decided class and a target drawn from the probabilities;
    ``shift`` moves the input ``x`` (a covariate shift)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, rows)
    logits = np.column_stack([x, -x, np.full(rows, 0.4)])
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = np.array(CLASSES)
    drawn = (rng.random(rows)[:, None] > probabilities.cumsum(axis=1)).sum(axis=1)
    outputs = (
        {f"proba_{name}": probabilities[:, i] for i, name in enumerate(CLASSES)}
        if per_class
        else {"probabilities": [dict(zip(CLASSES, row, strict=True)) for row in probabilities]}
    )
    return pl.DataFrame(
        {
            "x": x,
            **outputs,
            "prediction": classes[probabilities.argmax(axis=1)],
            "target": classes[drawn],
        }
    )
