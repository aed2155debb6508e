"""Support-ticket triage: incoming tickets, and the queue each was finally resolved in.

Customers on a tier (free, pro, enterprise) write tickets about a product through a channel.
A ticket's true queue (billing, technical, account, sales, legal) depends on the tier and
the product; it shapes the ticket: its length, whether it carries an attachment, and the
five keyword scores (the share of each queue's vocabulary in the text, 0 to 1). The outcome
is the queue that resolved the ticket, known when it closes, within a few days.

The drift episode from ``shift_day`` on, ramped over three weeks: a product launch (the
``assistant``) brings up to a third of all tickets, most of them technical, written in a new
vocabulary the technical keyword list does not know and that reads like account questions.
Both the inputs (product mix, keyword scores) and their relation to the queue change.

>>> simulation = simulate_triage(days=20, per_day=40, shift_day=10, seed=1)
>>> simulation.events.columns == list(TRIAGE_COLUMNS)
True
>>> set(simulation.outcomes["outcome"].unique()) <= set(QUEUES)
True
"""

from __future__ import annotations

import numpy as np
import polars as pl

from watchkeeper.simulate.tabular.common import (
    FloatArray,
    IntArray,
    TabularSimulation,
    assemble,
    check_shape,
    day_microseconds,
    days_to_microseconds,
    labels,
    ramp,
    timestamps,
)

QUEUES = ("billing", "technical", "account", "sales", "legal")
"""The classes: the queues a ticket can be resolved in."""

TRIAGE_COLUMNS = (
    "event_id",
    "ts",
    "customer_id",
    "channel",
    "customer_tier",
    "product",
    "length_chars",
    "has_attachment",
    *(f"kw_{queue}" for queue in QUEUES),
)
"""The columns of a ticket event, as the triage example workspace declares them."""

CHANNELS = ("email", "chat", "phone", "web_form")
TIERS = ("free", "pro", "enterprise")
PRODUCTS = ("core", "payments", "analytics", "mobile", "assistant")
_TIER_MIX = np.array([0.6, 0.3, 0.1])
_CHANNEL_BY_TIER = np.array(
    [[0.3, 0.3, 0.05, 0.35], [0.35, 0.35, 0.15, 0.15], [0.5, 0.1, 0.35, 0.05]]
)
_QUEUE_BY_TIER = np.array(
    [[0.22, 0.38, 0.28, 0.08, 0.04], [0.28, 0.36, 0.16, 0.12, 0.08], [0.22, 0.3, 0.1, 0.2, 0.18]]
)
_PRODUCT_BY_QUEUE = np.array(
    [
        [0.3, 0.55, 0.1, 0.05],
        [0.35, 0.2, 0.25, 0.2],
        [0.45, 0.15, 0.15, 0.25],
        [0.4, 0.2, 0.35, 0.05],
        [0.5, 0.35, 0.1, 0.05],
    ]
)
_MEDIAN_LENGTH = np.array([450.0, 900.0, 350.0, 600.0, 1_600.0])
_ATTACHMENT = np.array([0.45, 0.35, 0.1, 0.15, 0.55])
_LAUNCH_SHARE = 1 / 3
_LAUNCH_QUEUES = np.array([0.05, 0.8, 0.15, 0.0, 0.0])
_TECHNICAL = QUEUES.index("technical")
_ACCOUNT = QUEUES.index("account")
_ASSISTANT = PRODUCTS.index("assistant")

DESCRIPTION = (
    "Support tickets routed into 5 queues; from shift_day a product launch brings many "
    "technical tickets in a new vocabulary that reads like account questions (ramped over 3 weeks)."
)


def _pick(rng: np.random.Generator, probabilities: FloatArray) -> IntArray:
    """One category per row of ``probabilities`` (rows sum to 1), vectorised."""
    rows, width = probabilities.shape
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random((rows, 1))
    chosen: IntArray = np.minimum((draws > cumulative).sum(axis=1), width - 1).astype(np.int64)
    return chosen


def simulate_triage(
    days: int = 240,
    per_day: int = 150,
    seed: int = 0,
    shift_day: int = 150,
    customers: int = 3_000,
) -> TabularSimulation:
    """Simulate ``days`` days of ``per_day`` tickets from ``customers`` customers."""
    check_shape(days, per_day, shift_day)
    population = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    customers = max(1, customers)
    tier_of = population.choice(len(TIERS), size=customers, p=_TIER_MIX)

    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    size = days * per_day
    day = np.repeat(np.arange(days, dtype=np.int64), per_day)
    customer = rng.integers(0, customers, size)
    tier = tier_of[customer]
    channel = _pick(rng, _CHANNEL_BY_TIER[tier])
    launched = rng.random(size) < _LAUNCH_SHARE * ramp(day, shift_day)
    queue = np.where(
        launched,
        _pick(rng, np.broadcast_to(_LAUNCH_QUEUES, (size, len(QUEUES)))),
        _pick(rng, _QUEUE_BY_TIER[tier]),
    )
    product = np.where(launched, _ASSISTANT, _pick(rng, _PRODUCT_BY_QUEUE[queue]))
    length = np.maximum(20, np.round(rng.lognormal(np.log(_MEDIAN_LENGTH[queue]), 0.5)))
    attachment = rng.random(size) < _ATTACHMENT[queue]

    own = np.arange(len(QUEUES))[None, :] == queue[:, None]
    keywords = np.where(
        own,
        rng.beta(4.0, 3.0, (size, len(QUEUES))),
        rng.beta(1.5, 6.0, (size, len(QUEUES))),
    )
    # The launch's technical tickets use words the technical list lacks, and the account
    # list's words ("my assistant's settings") instead.
    new_words = launched & (queue == _TECHNICAL)
    keywords[new_words, _TECHNICAL] = rng.beta(1.5, 6.0, int(new_words.sum()))
    keywords[new_words, _ACCOUNT] = rng.beta(4.0, 3.5, int(new_words.sum()))

    at = day_microseconds(day) + days_to_microseconds(rng.random(size))
    resolution_days = np.minimum(rng.lognormal(np.log(0.8), 0.8, size), 6.0) + 1 / 24

    customer_ids = pl.Series("customer_id", customer, dtype=pl.Int64).cast(pl.String).str.zfill(5)
    events = pl.DataFrame(
        [
            timestamps(at, "ts"),
            ("c" + customer_ids).alias("customer_id"),
            labels(CHANNELS, channel, "channel"),
            labels(TIERS, tier, "customer_tier"),
            labels(PRODUCTS, product, "product"),
            pl.Series("length_chars", length.astype(np.int64), dtype=pl.Int64),
            pl.Series("has_attachment", attachment, dtype=pl.Boolean),
            *(
                pl.Series(f"kw_{name}", np.round(keywords[:, i], 4), dtype=pl.Float64)
                for i, name in enumerate(QUEUES)
            ),
        ]
    )
    outcomes = pl.DataFrame(
        [
            labels(QUEUES, queue, "outcome"),
            timestamps(at + days_to_microseconds(resolution_days), "outcome_ts"),
        ]
    )
    return assemble(
        events,
        outcomes,
        prefix="triage",
        columns=TRIAGE_COLUMNS,
        shift_day=shift_day,
        description=DESCRIPTION,
    )


__all__ = ["CHANNELS", "PRODUCTS", "QUEUES", "TIERS", "TRIAGE_COLUMNS", "simulate_triage"]
