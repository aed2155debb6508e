"""The power of the validation gate: could this holdout have shown a gain worth having?

The gate accepts a challenger when the observed difference ``D`` (challenger minus champion)
is above the margin ``m`` and its paired bootstrap interval lies above zero. With ``s`` the
bootstrap standard error of ``D`` and the normal approximation (the interval's lower bound
is about ``D - z s``, ``z`` the normal quantile of ``(1 + confidence) / 2``), the gate
accepts when ``D > c = max(m, z s)``. If the true difference is ``δ``, ``D ~ N(δ, s²)``, so

    power(δ) = P(D > c) = Φ((δ - c) / s)

and the smallest true difference accepted with probability ``π``, the *minimum detectable
difference*, is ``c + z_π s``.

The gate is asked to detect ``δ* = m + e R``: the margin plus a share ``e``
(``retraining.detectable_effect``, default 0.1) of the champion's *room for improvement*
``R`` on this holdout — how far its value lies from the best the metric can reach there: 1
for PR AUC, recall, macro F1 and accuracy; no cost for a cost and no error for MAE; for the
business value of a fraud model, every fraud worth its review flagged and nothing else. A
challenger closing a tenth of the gap is a gain worth having, whatever the metric's unit,
and the effect does not vanish when the champion is at its worst (a champion losing money
after a drift has the most room). The power against ``δ*`` is reported with every
comparison; below ``retraining.min_power`` (default 0.8) a challenger the gate does not
accept cannot be refused either: the holdout could not have shown the gain (the attempt is
*undecided*).

How much more data would do: the standard error of the difference shrinks like one over the
square root of the holdout's size — its positives for a fraud model, its labelled rows for
another task — so the gate reaches the power ``π`` with ``n (s / s_max)²`` of them, where
``s_max`` is the largest standard error that still meets both ``z_π s_max <= δ* - m`` and
``(z + z_π) s_max <= δ*``. This is exact for a metric that is a mean (PR AUC, recall, MAE)
and, with no margin, for a sum (business value); with a margin on a sum it overstates the
need a little (the effect grows with the holdout while the margin does not).

>>> power = gate_power(10.0, room=400.0, margin=0.0, detectable_effect=0.1,
...                    confidence=0.95, min_power=0.8)
>>> round(power.effect, 6), round(power.power, 4), round(power.min_detectable, 2)
(40.0, 0.9793, 28.02)
>>> power.sufficient, power.sample_needed(100)
(True, 100)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy.stats import norm

DETECTION_POWER = 0.8
"""The power at which the minimum detectable difference is reported."""


@dataclass(frozen=True)
class GatePower:
    """The gate's power against the effect it should detect, and what would give it enough.

    ``standard_error`` is the bootstrap standard deviation of the difference, ``effect``
    the gain ``δ*`` to detect, ``margin`` the gate's margin, ``z`` the interval's normal
    quantile and ``min_power`` the power asked for. ``power`` and ``min_detectable`` are
    None when the bootstrap gave no standard error (no valid resample).
    """

    standard_error: float
    effect: float
    margin: float
    z: float
    min_power: float
    power: float | None
    min_detectable: float | None

    @property
    def sufficient(self) -> bool:
        """Whether the holdout could show the effect: power at least ``min_power`` (always,
        with ``min_power`` 0)."""
        return self.min_power <= 0 or (self.power is not None and self.power >= self.min_power)

    def sample_needed(self, sample: float) -> int | None:
        """How many positives (or labelled rows) give ``min_power``, from ``sample`` of them
        (see the module's notes); None when it cannot be told (no standard error).

        >>> weak = gate_power(30.0, room=400.0, margin=0.0, detectable_effect=0.1,
        ...                   confidence=0.95, min_power=0.8)
        >>> round(weak.power, 3), weak.sample_needed(50)  # 50 * (30 * (1.96 + 0.84) / 40)^2
        (0.265, 221)
        """
        if self.sufficient:
            return math.ceil(sample)
        if self.power is None or self.effect <= 0:
            return None
        z_power = float(norm.ppf(self.min_power))
        limits = [self.effect / (self.z + z_power)]
        if z_power > 0:
            limits.append((self.effect - self.margin) / z_power)
        largest = min(limits)
        if largest <= 0:
            return None
        return math.ceil(sample * (self.standard_error / largest) ** 2 - 1e-9)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the audit log."""
        return {
            "power": self.power,
            "min_power": self.min_power,
            "effect": self.effect,
            "standard_error": self.standard_error,
            "min_detectable": self.min_detectable,
            "detection_power": DETECTION_POWER,
            "sufficient": self.sufficient,
        }

    def describe(self) -> str:
        """One phrase for the gate's reason.

        >>> gate_power(10.0, room=400.0, margin=0.0, detectable_effect=0.1,
        ...            confidence=0.95, min_power=0.8).describe()
        'power 0.98 to detect a gain of +40 (detectable at 80% power: +28.02)'
        """
        if self.power is None or self.min_detectable is None:
            return "power unknown (no valid bootstrap resample)"
        return (
            f"power {self.power:.2f} to detect a gain of {self.effect:+.4g} (detectable at "
            f"{DETECTION_POWER:.0%} power: {self.min_detectable:+.4g})"
        )


def gate_power(
    standard_error: float,
    *,
    room: float,
    margin: float,
    detectable_effect: float,
    confidence: float,
    min_power: float,
) -> GatePower:
    """The gate's power against ``δ* = margin + detectable_effect * room`` (``room``: the
    champion's room for improvement, at least 0), from the bootstrap ``standard_error`` of
    the difference (see the module's notes).

    A standard error of zero means every resample gave the same difference: the verdict is
    certain, power 1. A NaN one (no valid resample) gives no power: the verdict is not
    trusted.

    >>> gate_power(0.0, room=1.0, margin=0.0, detectable_effect=0.1,
    ...            confidence=0.95, min_power=0.8).power
    1.0
    """
    effect = margin + detectable_effect * max(0.0, room)
    z = float(norm.ppf((1 + confidence) / 2))
    if not math.isfinite(standard_error):
        return GatePower(standard_error, effect, margin, z, min_power, None, None)
    if standard_error <= 0:
        return GatePower(0.0, effect, margin, z, min_power, 1.0, margin)
    critical = max(margin, z * standard_error)
    power = float(norm.cdf((effect - critical) / standard_error))
    detectable = critical + float(norm.ppf(DETECTION_POWER)) * standard_error
    return GatePower(standard_error, effect, margin, z, min_power, power, detectable)


__all__ = ["DETECTION_POWER", "GatePower", "gate_power"]
