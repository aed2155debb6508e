"""The named synthetic drifts a drill injects into a copy of recent traffic.

Each scenario is a pure function over a frame of raw inputs (one row per event, the columns
of the workspace's raw input schema) and a mask of the rows it may change (the drilled
windows; the warm-up history before them is left alone). What the scenario acts on is found
from the schema, not hard-coded: the transaction amount is the ``amount`` input (or the first
float input), the free categories are the ``category`` inputs without an ``allowed`` list.

Severity means one thing per scenario: a factor for ``amount-inflation``, a share of the
drilled events for every other one.

>>> import numpy as np
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "amount": {"type": "float"}},
...                    transforms=[{"name": "log_amount", "op": "log1p", "input": "amount"}])
>>> frame = pl.DataFrame({"amount": [10.0, 20.0]})
>>> drilled = np.array([False, True])
>>> injected = get_scenario("amount-inflation").inject(frame, drilled, spec, 3.0, None, np.random.default_rng(0))
>>> injected.frame["amount"].to_list(), injected.events
([10.0, 60.0], 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.errors import ConfigError
from watchkeeper.features.spec import FeatureSpec

Mask = npt.NDArray[np.bool_]

AMOUNT_INPUT = "amount"
"""The conventional name of the transaction amount among the raw inputs."""

NEW_SEGMENT_AMOUNT_FACTOR = 2.5
"""A new segment spends more per payment than everyday traffic (wallet top-ups)."""

FRAUD_LIKE_AMOUNT_FACTOR = 5.0
"""The fraud-like pattern of ``score-shift``: large amounts ..."""

FRAUD_LIKE_HOURS = (1, 5)
"""... between 1 and 5 a.m. local time ..."""

FRAUD_LIKE_CHANNEL = "online"
"""... and online, where an input allows that value."""

RENAMED_SUFFIX = "_v2"
"""``schema-break`` renames a field to its name with this suffix (a client's new version)."""


@dataclass(frozen=True)
class Injection:
    """The traffic after an injection, how many events were changed and on which field."""

    frame: pl.DataFrame
    events: int
    field: str | None = None


Injector = Callable[
    [pl.DataFrame, Mask, FeatureSpec, float, str | None, np.random.Generator], Injection
]


@dataclass(frozen=True)
class Scenario:
    """A named drift: what it does, what its severity means, and the function that injects it."""

    name: str
    description: str
    severity_meaning: str
    default_severity: float
    injector: Injector
    share: bool = True
    """Severity is a share of the drilled events (in (0, 1]); otherwise a positive factor."""

    def check_severity(self, severity: float) -> float:
        """The severity if it fits the scenario, else a one-line :class:`ConfigError`.

        >>> get_scenario("missing-values").check_severity(1.5)
        Traceback (most recent call last):
        ...
        watchkeeper.errors.ConfigError: --severity 1.5 does not fit scenario missing-values: it is a share of events, in (0, 1]
        """
        if self.share and not 0.0 < severity <= 1.0:
            raise ConfigError(
                f"--severity {severity:g} does not fit scenario {self.name}: it is "
                f"{self.severity_meaning}, in (0, 1]"
            )
        if not self.share and not (severity > 0.0 and np.isfinite(severity)):
            raise ConfigError(
                f"--severity {severity:g} does not fit scenario {self.name}: it is "
                f"{self.severity_meaning}, above 0"
            )
        return severity

    def inject(
        self,
        frame: pl.DataFrame,
        drilled: Mask,
        spec: FeatureSpec,
        severity: float,
        field: str | None,
        generator: np.random.Generator,
    ) -> Injection:
        """Inject this drift into the ``drilled`` rows of ``frame``."""
        return self.injector(frame, drilled, spec, self.check_severity(severity), field, generator)


# -- what a scenario acts on -----------------------------------------------------------------


def amount_input(spec: FeatureSpec) -> str:
    """The raw input holding the transaction amount.

    >>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "total": {"type": "float"}},
    ...                    transforms=[{"name": "t", "op": "log1p", "input": "total"}])
    >>> amount_input(spec)
    'total'
    """
    declared = spec.inputs.get(AMOUNT_INPUT)
    if declared is not None and declared.type in ("float", "int"):
        return AMOUNT_INPUT
    for name, field in spec.inputs.items():
        if field.type == "float":
            return name
    raise ConfigError(
        "the raw input schema has no amount (no float input): this scenario needs one"
    )


def free_categories(spec: FeatureSpec) -> list[str]:
    """The ``category`` inputs without an ``allowed`` list: where new values can appear."""
    names = [
        name
        for name, field in spec.inputs.items()
        if field.type == "category" and field.allowed is None
    ]
    if not names:
        raise ConfigError(
            "the raw input schema has no category input without an allowed list: "
            "this scenario needs one"
        )
    return names


def chosen_field(spec: FeatureSpec, field: str | None, *, required: bool) -> str:
    """The input a scenario acts on: ``field`` when given (it must be declared), else the
    first optional input (``required`` False) or the amount / first required input (True)."""
    keys = {spec.event_id, spec.timestamp}
    if field is not None:
        if field not in spec.inputs or field in keys:
            known = ", ".join(name for name in spec.inputs if name not in keys)
            raise ConfigError(f"--field {field!r} is not a raw input field (known: {known})")
        return field
    if required:
        amount = amount_input(spec)
        if spec.inputs[amount].required:
            return amount
    for name, declared in spec.inputs.items():
        if name not in keys and declared.required == required:
            return name
    kind = "required" if required else "optional"
    raise ConfigError(f"the raw input schema has no {kind} field for this scenario; pass --field")


def share_of(drilled: Mask, share: float, generator: np.random.Generator) -> Mask:
    """A random ``share`` of the drilled rows (the whole of them at 1)."""
    picked: Mask = drilled & (generator.random(drilled.shape[0]) < share)
    return picked


def _where(mask: Mask, value: pl.Expr, column: str) -> pl.Expr:
    return pl.when(pl.Series(mask)).then(value).otherwise(pl.col(column)).alias(column)


def _column(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.DataFrame:
    """``frame`` with ``name`` present (null if absent) and cast to ``dtype``."""
    if name not in frame.columns:
        return frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return frame.with_columns(pl.col(name).cast(dtype, strict=False))


# -- the scenarios ---------------------------------------------------------------------------


def _amount_inflation(
    frame: pl.DataFrame,
    drilled: Mask,
    spec: FeatureSpec,
    severity: float,
    field: str | None,
    generator: np.random.Generator,
) -> Injection:
    amount = amount_input(spec)
    frame = _column(frame, amount, pl.Float64())
    changed = frame.with_columns(_where(drilled, pl.col(amount) * severity, amount))
    return Injection(changed, int(drilled.sum()), amount)


def _new_segment(
    frame: pl.DataFrame,
    drilled: Mask,
    spec: FeatureSpec,
    severity: float,
    field: str | None,
    generator: np.random.Generator,
) -> Injection:
    picked = share_of(drilled, severity, generator)
    categories = free_categories(spec)
    amount = amount_input(spec)
    frame = _column(frame, amount, pl.Float64())
    changes = [_where(picked, pl.col(amount) * NEW_SEGMENT_AMOUNT_FACTOR, amount)]
    for position, name in enumerate(categories):
        frame = _column(frame, name, pl.String())
        if position == 0:  # the segment's one new merchant category
            values = pl.Series(["new-segment"] * frame.height)
        else:  # a few new countries (corridors) and the like
            draws = generator.integers(1, 4, frame.height)
            values = pl.Series([f"new-{name}-{draw}" for draw in draws])
        changes.append(_where(picked, pl.lit(values), name))
    return Injection(frame.with_columns(changes), int(picked.sum()), categories[0])


def _missing_values(
    frame: pl.DataFrame,
    drilled: Mask,
    spec: FeatureSpec,
    severity: float,
    field: str | None,
    generator: np.random.Generator,
) -> Injection:
    name = chosen_field(spec, field, required=False)
    picked = share_of(drilled, severity, generator)
    if name not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String()).alias(name))
    nulls = pl.lit(None, dtype=frame.schema[name])
    return Injection(frame.with_columns(_where(picked, nulls, name)), int(picked.sum()), name)


def _category_flood(
    frame: pl.DataFrame,
    drilled: Mask,
    spec: FeatureSpec,
    severity: float,
    field: str | None,
    generator: np.random.Generator,
) -> Injection:
    picked = share_of(drilled, severity, generator)
    categories = free_categories(spec)
    changes = []
    for name in categories:
        frame = _column(frame, name, pl.String())
        unseen = pl.Series([f"unseen-{name}-{row}" for row in range(frame.height)])
        changes.append(_where(picked, pl.lit(unseen), name))
    return Injection(frame.with_columns(changes), int(picked.sum()), categories[0])


def _score_shift(
    frame: pl.DataFrame,
    drilled: Mask,
    spec: FeatureSpec,
    severity: float,
    field: str | None,
    generator: np.random.Generator,
) -> Injection:
    picked = share_of(drilled, severity, generator)
    amount = amount_input(spec)
    frame = _column(frame, amount, pl.Float64())
    first, last = FRAUD_LIKE_HOURS
    seconds = pl.Series(generator.integers(first * 3_600, last * 3_600, frame.height))
    local = pl.col(spec.timestamp).dt.convert_time_zone(spec.timezone)
    night = (local.dt.truncate("1d") + pl.duration(seconds=pl.lit(seconds))).dt.convert_time_zone(
        "UTC"
    )
    changes = [
        _where(picked, pl.col(amount) * FRAUD_LIKE_AMOUNT_FACTOR, amount),
        _where(picked, night, spec.timestamp),
    ]
    for name, declared in spec.inputs.items():
        if declared.allowed is not None and FRAUD_LIKE_CHANNEL in declared.allowed:
            frame = _column(frame, name, pl.String())
            changes.append(_where(picked, pl.lit(FRAUD_LIKE_CHANNEL), name))
    return Injection(frame.with_columns(changes), int(picked.sum()), amount)


def _schema_break(
    frame: pl.DataFrame,
    drilled: Mask,
    spec: FeatureSpec,
    severity: float,
    field: str | None,
    generator: np.random.Generator,
) -> Injection:
    name = chosen_field(spec, field, required=True)
    picked = share_of(drilled, severity, generator)
    if name not in frame.columns:
        raise ConfigError(f"the drilled traffic has no field {name!r} to rename")
    renamed = f"{name}{RENAMED_SUFFIX}"
    nulls = pl.lit(None, dtype=frame.schema[name])
    changed = frame.with_columns(
        pl.when(pl.Series(picked)).then(pl.col(name)).alias(renamed),
        _where(picked, nulls, name),
    )
    return Injection(changed, int(picked.sum()), name)


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "amount-inflation",
            "every drilled amount multiplied by the severity (a currency or unit change)",
            "a factor on amounts",
            3.0,
            _amount_inflation,
            share=False,
        ),
        Scenario(
            "new-segment",
            "a share of traffic from a new merchant segment: a new merchant category, new "
            "countries and larger amounts",
            "a share of events",
            0.3,
            _new_segment,
        ),
        Scenario(
            "missing-values",
            "one field (--field, default the first optional input) goes missing at a rate",
            "a share of events",
            0.5,
            _missing_values,
        ),
        Scenario(
            "category-flood",
            "a share of events carry categories never seen before, one per event",
            "a share of events",
            0.3,
            _category_flood,
        ),
        Scenario(
            "score-shift",
            "a fraud-like pattern change: a share of events become online, late-night and "
            "high-amount",
            "a share of events",
            0.3,
            _score_shift,
        ),
        Scenario(
            "schema-break",
            "a required field (--field, default the amount) is renamed in a share of events, "
            "which the schema then rejects",
            "a share of events",
            0.3,
            _schema_break,
        ),
    )
}
"""Every scenario, by name."""


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; an unknown name is a one-line error listing the known ones.

    >>> get_scenario("asteroid")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --scenario: unknown scenario 'asteroid' (known: amount-inflation, category-flood, missing-values, new-segment, schema-break, score-shift)
    """
    found = SCENARIOS.get(name)
    if found is None:
        known = ", ".join(sorted(SCENARIOS))
        raise ConfigError(f"--scenario: unknown scenario {name!r} (known: {known})")
    return found


__all__ = [
    "SCENARIOS",
    "Injection",
    "Scenario",
    "amount_input",
    "chosen_field",
    "free_categories",
    "get_scenario",
    "share_of",
]
