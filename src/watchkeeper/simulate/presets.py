"""Named simulation presets, with overrides.

``case-study`` replays the story of the seed case study: eighteen months of stable traffic,
then on day 540 a new merchant segment arrives (data drift) while fraudsters adapt (concept
drift), over a two-year simulation.

>>> config = preset("case-study", per_day=2_000)
>>> config.days, config.segment_shift.start_day, config.fraud_adaptation.start_day
(720, 540, 540)
>>> preset("case-study", fraud_adaptation={"mode": "sudden"}).fraud_adaptation.mode
'sudden'
>>> preset("stormy")
Traceback (most recent call last):
...
watchkeeper.errors.SimulationError: unknown simulation preset 'stormy'; valid names: stable, segment-shift, fraud-adaptation, case-study
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from watchkeeper.errors import SimulationError
from watchkeeper.simulate.config import SimulationConfig

_PRESETS: dict[str, dict[str, Any]] = {
    "stable": {"days": 360},
    "segment-shift": {
        "days": 360,
        "segment_shift": {"start_day": 180, "share": 0.25, "ramp_days": 14},
    },
    "fraud-adaptation": {
        "days": 360,
        "fraud_adaptation": {"start_day": 180, "mode": "gradual", "ramp_days": 60},
    },
    "case-study": {
        "days": 720,
        "segment_shift": {"start_day": 540, "share": 0.25, "ramp_days": 30},
        "fraud_adaptation": {
            "start_day": 540,
            "mode": "gradual",
            "ramp_days": 60,
            "adapted_share": 0.9,
        },
    },
}

PRESET_NAMES: tuple[str, ...] = tuple(_PRESETS)
"""Valid names for :func:`preset`."""

_SECTIONS = ("chargeback_lag", "segment_shift", "fraud_adaptation")


def preset(name: str, **overrides: Any) -> SimulationConfig:
    """Return the settings of preset ``name`` with ``overrides`` applied.

    A dict given for a section (``segment_shift``, ``fraud_adaptation``, ``chargeback_lag``)
    is merged into the preset's section; ``None`` turns a shift off. Every problem, unknown
    name or bad override, raises :class:`~watchkeeper.errors.SimulationError`.

    >>> preset("stable", days=10, seed=3).days
    10
    >>> preset("case-study", segment_shift=None).segment_shift is None
    True
    >>> preset("stable", days=0)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SimulationError: preset 'stable': days: Input should be greater than or equal to 1 (got 0)
    """
    if name not in _PRESETS:
        raise SimulationError(
            f"unknown simulation preset {name!r}; valid names: {', '.join(PRESET_NAMES)}"
        )
    settings: dict[str, Any] = dict(_PRESETS[name])
    for key, value in overrides.items():
        current = settings.get(key)
        if key in _SECTIONS and isinstance(value, dict) and isinstance(current, dict):
            settings[key] = {**current, **value}
        else:
            settings[key] = value
    try:
        return SimulationConfig.model_validate(settings)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'settings'}: "
            f"{problem['msg']} (got {problem['input']!r})"
            for problem in error.errors()
        )
        raise SimulationError(f"preset {name!r}: {problems}") from None
    except SimulationError as error:
        raise SimulationError(f"preset {name!r}: {error}") from None


__all__ = ["PRESET_NAMES", "preset"]
