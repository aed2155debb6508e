"""The fixed vocabulary of the simulated world: merchant categories and countries.

Each merchant category has its share of everyday spending, a typical amount and the share of
its payments made online. Amounts of a legitimate transaction are log-normal around the
category's median, scaled by the card's own spending level.

>>> CATEGORY_NAMES[:3]
('grocery', 'fuel', 'restaurants')
>>> COUNTRIES[HOME_COUNTRY]
'US'
>>> round(float(CATEGORY_WEIGHTS.sum()), 6)
1.0
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class MerchantCategory(NamedTuple):
    """One merchant category of everyday (pre-shift) spending."""

    name: str
    weight: float
    """Relative share of legitimate transactions in this category."""
    amount_median: float
    """Median amount of a legitimate transaction, in dollars, for a card of average spending."""
    amount_sigma: float
    """Spread of the log-normal amount around the median."""
    online_share: float
    """Share of this category's legitimate transactions made online (the rest card present)."""


CATEGORIES: tuple[MerchantCategory, ...] = (
    MerchantCategory("grocery", 0.22, 45.0, 0.60, 0.05),
    MerchantCategory("fuel", 0.10, 48.0, 0.35, 0.00),
    MerchantCategory("restaurants", 0.16, 32.0, 0.55, 0.10),
    MerchantCategory("pharmacy", 0.06, 22.0, 0.60, 0.10),
    MerchantCategory("online_retail", 0.18, 55.0, 0.80, 1.00),
    MerchantCategory("electronics", 0.04, 220.0, 0.90, 0.55),
    MerchantCategory("travel", 0.03, 380.0, 0.80, 0.70),
    MerchantCategory("entertainment", 0.06, 30.0, 0.60, 0.50),
    MerchantCategory("subscriptions", 0.05, 14.0, 0.50, 1.00),
    MerchantCategory("apparel", 0.07, 70.0, 0.70, 0.40),
)
"""The categories of the stable world; a segment shift adds one more."""

CATEGORY_NAMES: tuple[str, ...] = tuple(category.name for category in CATEGORIES)
CATEGORY_INDEX: dict[str, int] = {name: index for index, name in enumerate(CATEGORY_NAMES)}

_weights = np.array([category.weight for category in CATEGORIES])
CATEGORY_WEIGHTS: npt.NDArray[np.float64] = _weights / _weights.sum()
CATEGORY_AMOUNT_MEDIAN: npt.NDArray[np.float64] = np.array(
    [category.amount_median for category in CATEGORIES]
)
CATEGORY_AMOUNT_SIGMA: npt.NDArray[np.float64] = np.array(
    [category.amount_sigma for category in CATEGORIES]
)
CATEGORY_ONLINE_SHARE: npt.NDArray[np.float64] = np.array(
    [category.online_share for category in CATEGORIES]
)

COUNTRIES: tuple[str, ...] = (
    "US",
    "CA",
    "MX",
    "GB",
    "FR",
    "DE",
    "ES",
    "IT",
    "NL",
    "BR",
    "IN",
    "PH",
    "NG",
    "RO",
    "TH",
    "JP",
    "AU",
    "AE",
    "CO",
    "VN",
)
"""ISO 3166-1 alpha-2 codes used for transaction and home countries."""

HOME_COUNTRY = 0
"""Index in :data:`COUNTRIES` of the country where most cards are issued ("US")."""

SEGMENT_CORRIDORS: tuple[int, ...] = tuple(
    COUNTRIES.index(code) for code in ("MX", "PH", "IN", "NG", "CO", "VN")
)
"""Countries the new segment's customers pay into (cross-border wallet top-ups)."""


__all__ = [
    "CATEGORIES",
    "CATEGORY_AMOUNT_MEDIAN",
    "CATEGORY_AMOUNT_SIGMA",
    "CATEGORY_INDEX",
    "CATEGORY_NAMES",
    "CATEGORY_ONLINE_SHARE",
    "CATEGORY_WEIGHTS",
    "COUNTRIES",
    "HOME_COUNTRY",
    "SEGMENT_CORRIDORS",
    "MerchantCategory",
]
