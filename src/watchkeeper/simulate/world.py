"""The fixed context of one simulation: settings, population, rhythms and device numbering.

Device numbers are integers: habitual device ``k`` of card ``c`` is ``c * 4 + k``; a device
used for the first time (a new phone, a fraudster's emulator) gets a number from a range of its
own per day and source, so it can never collide with another device.

>>> from watchkeeper.simulate.config import SimulationConfig
>>> world = build_world(SimulationConfig(days=3, per_day=100))
>>> int(world.new_devices(day=0, source=DeviceSource.ADAPTED_FRAUD, count=2)[1]) > 4 * 500
True
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from watchkeeper.simulate.config import SimulationConfig
from watchkeeper.simulate.population import DEVICES_PER_CARD_LIMIT, Population, build_population
from watchkeeper.simulate.seasonality import (
    EVERYDAY_HOURS,
    MICROSECONDS_PER_DAY,
    SEGMENT_HOURS,
    hourly_weights,
)

_NEW_DEVICE_BASE = 1 << 40
_NEW_DEVICES_PER_SOURCE_AND_DAY = 1 << 26


class DeviceSource(IntEnum):
    """Who brings a never-seen device: each has its own range of device numbers."""

    LEGITIMATE = 0
    SEGMENT = 1
    CLASSIC_FRAUD = 2
    ADAPTED_FRAUD = 3


@dataclass(frozen=True)
class World:
    """Settings and everything derived from them once per simulation."""

    config: SimulationConfig
    population: Population
    everyday_hours: npt.NDArray[np.float64]
    """Hourly weights of everyday spending, seasonality amplitude applied."""
    segment_hours: npt.NDArray[np.float64]
    """Hourly weights of the new segment's spending, seasonality amplitude applied."""
    end_offset: int
    """Microseconds from the start to the end of the last day."""

    def day_start(self, day: int) -> int:
        """Microseconds from the start of the simulation to midnight of ``day``."""
        return day * MICROSECONDS_PER_DAY

    def week_of(self, day: int) -> int:
        """Calendar week number of ``day`` (weeks start on Monday)."""
        return (self.config.start.toordinal() + day - 1) // 7

    def habitual_devices(
        self, cards: npt.NDArray[np.int64], slot: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """Device numbers of the cards' habitual device in ``slot`` (0, 1 or 2)."""
        return cards * DEVICES_PER_CARD_LIMIT + slot

    def new_devices(self, day: int, source: DeviceSource, count: int) -> npt.NDArray[np.int64]:
        """Return ``count`` device numbers never used before, for ``source`` on ``day``."""
        if count > _NEW_DEVICES_PER_SOURCE_AND_DAY:
            raise ValueError(f"{count} new devices in one day exceed the device numbering")
        block = (day * len(DeviceSource) + int(source)) * _NEW_DEVICES_PER_SOURCE_AND_DAY
        return _NEW_DEVICE_BASE + block + np.arange(count, dtype=np.int64)


def build_world(config: SimulationConfig) -> World:
    """Draw the population and derive the fixed context of ``config``.

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> world = build_world(SimulationConfig(days=7, per_day=100))
    >>> world.population.cards.size, world.end_offset // MICROSECONDS_PER_DAY
    (500, 7)
    """
    return World(
        config=config,
        population=build_population(config),
        everyday_hours=hourly_weights(EVERYDAY_HOURS, config.daily_amplitude),
        segment_hours=hourly_weights(SEGMENT_HOURS, config.daily_amplitude),
        end_offset=config.days * MICROSECONDS_PER_DAY,
    )


__all__ = ["DeviceSource", "World", "build_world"]
