"""The guards a canary must pass at every evaluation, as pure functions of its statistics.

A canary is judged as a model, not as a binary: besides its error rate and latency against
the champion, its flag rate is compared with what its holdout predicted and with the
champion's on the same period (floored at the holdout's: a drifted champion that flags too
little is no measure of too many), and its score distribution with its own holdout's (PSI;
with the champion's on the same period for a version stored without a reference profile). Where
labels are known for the period's events (a chargeback received, or the maturity horizon
passed without one), its realized recall and precision are compared with the champion's on
the same period: more than ``max_recall_drop`` (``max_precision_drop``) below fails, once
each model has ``min_labelled_positives`` known positives (for precision, flagged events past
the maturity horizon).

A multiclass or regression canary (``CanaryStatistics.task``) keeps the guards that mean
something for it (:func:`task_guards`): the error rate and the latency as above, the drift of
its predictions against the champion's on the same period (the PSI of the decided classes;
of the predicted values, on bins of the champion's deciles), and its realized performance
against the champion's once each has ``min_labelled_events`` labelled events (accuracy more
than ``max_accuracy_drop`` below; MAE more than ``max_mae_increase`` above, as a share). The
binary guards (flag rates, score PSI, recall, precision) are reported as not applicable.

>>> from watchkeeper.config.lifecycle import RolloutGuards
>>> champion = RouteStatistics(events=900, errors=0, latency_ms_total=900.0, flags=9,
...                            score_counts=(800, 80, 10, 5, 5))
>>> challenger = RouteStatistics(events=100, errors=0, latency_ms_total=110.0, flags=30,
...                              score_counts=(40, 20, 10, 10, 20))
>>> failed = [check.name for check in check_guards(
...     CanaryStatistics(champion, challenger, holdout_flag_rate=0.01), RolloutGuards())
...     if not check.passed]
>>> failed
['flag_rate_vs_holdout', 'flag_rate_vs_champion', 'score_psi']
>>> champion = RouteStatistics(events=900, flags=60, positives=40, caught=30)
>>> challenger = RouteStatistics(events=900, flags=60, positives=40, caught=18)
>>> [check.describe() for check in check_guards(CanaryStatistics(champion, challenger),
...     RolloutGuards()) if check.name == "realized_recall_drop"]
['realized_recall_drop 0.3 above the limit 0.1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from watchkeeper import metric_names as names
from watchkeeper.config import ModelTask
from watchkeeper.config.lifecycle import RolloutGuards
from watchkeeper.monitoring.statistics.drift_statistics import population_stability_index
from watchkeeper.performance.intervals import wilson_interval

SCORE_BINS = 10
"""Scores are counted on ten equal-width bins of [0, 1] for the PSI guard."""


def score_bin(score: float, bins: int = SCORE_BINS) -> int:
    """The bin of a score in [0, 1] (1.0 in the last bin).

    >>> score_bin(0.0), score_bin(0.55), score_bin(1.0)
    (0, 5, 9)
    """
    return min(bins - 1, max(0, int(score * bins)))


@dataclass(frozen=True)
class RouteStatistics:
    """What one route (champion or canary) did during the canary period."""

    events: int = 0
    errors: int = 0
    latency_ms_total: float = 0.0
    flags: int = 0
    score_counts: Sequence[int] = field(default_factory=lambda: (0,) * SCORE_BINS)
    positives: int = 0
    """Events known positive (a positive outcome received)."""
    caught: int = 0
    """Known positives the model flagged."""
    matured_flags: int = 0
    """Flagged events past the maturity horizon (their label is final either way)."""
    matured_true_flags: int = 0
    """Of those, the known positives."""
    decision_counts: Mapping[str, int] = field(default_factory=dict)
    """Multiclass: events per decided class."""
    prediction_counts: Sequence[int] = ()
    """Regression: predicted values per bin (the period's bins, shared by both routes)."""
    labelled: int = 0
    """Multiclass, regression: events whose outcome is known."""
    correct: int = 0
    """Multiclass: labelled events whose decided class was the outcome."""
    absolute_error_total: float = 0.0
    """Regression: the sum of ``|prediction - outcome|`` over the labelled events."""

    @property
    def error_rate(self) -> float:
        """Errors over requests (scored events plus errors)."""
        requests = self.events + self.errors
        return self.errors / requests if requests else 0.0

    @property
    def flag_rate(self) -> float:
        """Flagged events over scored events."""
        return self.flags / self.events if self.events else 0.0

    @property
    def realized_recall(self) -> float | None:
        """Flagged known positives over known positives (None without any)."""
        return self.caught / self.positives if self.positives else None

    @property
    def realized_precision(self) -> float | None:
        """Positives among the matured flagged events (None without any).

        Only matured events count: a flagged event still within the horizon may yet turn
        positive, and counting only its positives would make precision look perfect.
        """
        return self.matured_true_flags / self.matured_flags if self.matured_flags else None

    @property
    def realized_accuracy(self) -> float | None:
        """Multiclass: correct decisions over labelled events (None without any)."""
        return self.correct / self.labelled if self.labelled else None

    @property
    def realized_mae(self) -> float | None:
        """Regression: the mean absolute error over labelled events (None without any)."""
        return self.absolute_error_total / self.labelled if self.labelled else None

    @property
    def mean_latency_ms(self) -> float:
        """Mean serving latency of the scored events."""
        return self.latency_ms_total / self.events if self.events else 0.0


@dataclass(frozen=True)
class CanaryStatistics:
    """The champion's and the challenger's statistics on the same period, and references.

    ``holdout_flag_rate`` is the flag rate the challenger's holdout predicted;
    ``reference_score_counts`` its holdout score histogram (else the champion's scores over
    the same period are used); ``reference_source`` says which in words, for the evidence
    (:mod:`~watchkeeper.rollout.canary_reference`).
    """

    champion: RouteStatistics
    challenger: RouteStatistics
    holdout_flag_rate: float | None = None
    reference_score_counts: Sequence[int] | None = None
    task: ModelTask = "binary"
    reference_source: str | None = None


@dataclass(frozen=True)
class GuardCheck:
    """One guard's verdict: its value, its limit and whether it passed."""

    name: str
    value: float
    limit: float
    passed: bool

    def describe(self) -> str:
        """One line for the audit log and the alert.

        >>> GuardCheck("error_rate", 0.05, 0.01, False).describe()
        'error_rate 0.05 above the limit 0.01'
        """
        verdict = "within" if self.passed else "above"
        return f"{self.name} {self.value:.4g} {verdict} the limit {self.limit:.4g}"


@dataclass(frozen=True)
class InapplicableCheck(GuardCheck):
    """A guard the canary's task does not have: it passes, and says so.

    >>> not_applicable("realized_recall_drop", "regression").describe()
    'realized_recall_drop not applicable to regression'
    """

    not_applicable_to: str = "binary"

    def describe(self) -> str:
        """One line for the audit log."""
        return f"{self.name} not applicable to {self.not_applicable_to}"


@dataclass(frozen=True)
class ReferencedCheck(GuardCheck):
    """A guard judged against a reference it names (the score PSI: the challenger's own
    holdout scores, or the champion's over the same period when it has none).

    >>> ReferencedCheck("score_psi", 0.4, 0.25, False, "the champion's scores").describe()
    "score_psi 0.4 above the limit 0.25 (against the champion's scores)"
    """

    reference: str = ""

    def describe(self) -> str:
        """One line for the audit log and the alert, naming the reference."""
        return f"{super().describe()} (against {self.reference})"


def not_applicable(name: str, task: str) -> InapplicableCheck:
    """The verdict of a guard ``task`` does not have."""
    return InapplicableCheck(name, 0.0, 0.0, True, not_applicable_to=task)


BINARY_ONLY_GUARDS = (
    "flag_rate_vs_holdout",
    "flag_rate_vs_champion",
    "score_psi",
    "realized_recall_drop",
    "realized_precision_drop",
)
"""The guards of a yes/no decision and its score, which other tasks do not have."""

MIN_GUARD_EVENTS = 50
"""Ratio and distribution guards wait for this many challenger events (noise otherwise)."""


def check_guards(statistics: CanaryStatistics, guards: RolloutGuards) -> list[GuardCheck]:
    """Every guard's verdict; a guard without enough data to judge is left out."""
    if statistics.task != "binary":
        return task_guards(statistics, guards)
    champion, challenger = statistics.champion, statistics.challenger
    checks = [_error_rate(challenger, guards)]
    checks.extend(realized_checks(champion, challenger, guards))
    if challenger.events < MIN_GUARD_EVENTS:
        return checks
    checks.extend(_latency(champion, challenger, guards))
    if statistics.holdout_flag_rate is not None:
        checks.append(
            _flag_ratio("flag_rate_vs_holdout", challenger, statistics.holdout_flag_rate, guards)
        )
    if champion.events >= MIN_GUARD_EVENTS:
        checks.append(_flag_rate_vs_champion(statistics, guards))
    checks.extend(_score_psi(statistics, guards))
    return checks


def _flag_rate_vs_champion(statistics: CanaryStatistics, guards: RolloutGuards) -> GuardCheck:
    """More flags than the champion overload review; the check is one way.

    Fewer flags is not a failure in itself: a drifted champion may flag the wrong events in
    numbers, and a challenger that stops flagging fails against its own holdout. The reference
    is the champion's flag rate, but never below the holdout's: a champion that has drifted
    into flagging less than the review capacity the challenger's threshold was chosen for is
    no measure of too many (a challenger that catches the new fraud flags more than it).

    >>> from watchkeeper.config.lifecycle import RolloutGuards
    >>> drifted = RouteStatistics(events=9_000, flags=36)  # 0.4%: missing the new fraud
    >>> catching = RouteStatistics(events=1_000, flags=14)  # 1.4%, its holdout said 1%
    >>> _flag_rate_vs_champion(CanaryStatistics(drifted, catching, 0.01), RolloutGuards()).passed
    True
    >>> _flag_rate_vs_champion(CanaryStatistics(drifted, catching), RolloutGuards()).passed
    False
    """
    reference = statistics.champion.flag_rate
    if statistics.holdout_flag_rate is not None:
        reference = max(reference, statistics.holdout_flag_rate)
    return _flag_ratio(
        "flag_rate_vs_champion", statistics.challenger, reference, guards, both_ways=False
    )


def _score_psi(statistics: CanaryStatistics, guards: RolloutGuards) -> list[GuardCheck]:
    """The PSI of the challenger's served scores against its own holdout scores, else (no
    stored profile) against the champion's scores over the same period."""
    champion, challenger = statistics.champion, statistics.challenger
    reference = statistics.reference_score_counts
    source = statistics.reference_source or "the challenger's holdout scores"
    if reference is None:
        if champion.events < MIN_GUARD_EVENTS:
            return []
        reference = champion.score_counts
        source = statistics.reference_source or "the champion's scores over the same period"
    if sum(reference) <= 0:
        return []
    psi = population_stability_index(list(reference), list(challenger.score_counts))
    limit = guards.max_score_psi
    return [ReferencedCheck("score_psi", psi, limit, psi <= limit, reference=source)]


def task_guards(statistics: CanaryStatistics, guards: RolloutGuards) -> list[GuardCheck]:
    """The guards of a multiclass or regression canary (see the module).

    >>> from watchkeeper.config.lifecycle import RolloutGuards
    >>> champion = RouteStatistics(events=400, decision_counts={"a": 300, "b": 100})
    >>> canary = RouteStatistics(events=100, decision_counts={"a": 20, "b": 80})
    >>> checks = task_guards(CanaryStatistics(champion, canary, task="multiclass"),
    ...                      RolloutGuards())
    >>> [check.describe() for check in checks if check.name == "decision_psi"]
    ['decision_psi 1.346 above the limit 0.25']
    """
    champion, challenger = statistics.champion, statistics.challenger
    task = statistics.task
    checks = [_error_rate(challenger, guards)]
    checks.extend(realized_task_checks(champion, challenger, guards, task))
    if challenger.events >= MIN_GUARD_EVENTS:
        checks.extend(_latency(champion, challenger, guards))
        if champion.events >= MIN_GUARD_EVENTS:
            checks.extend(_prediction_drift(champion, challenger, guards, task))
    checks.extend(not_applicable(name, task) for name in BINARY_ONLY_GUARDS)
    return checks


def realized_task_checks(
    champion: RouteStatistics, challenger: RouteStatistics, guards: RolloutGuards, task: ModelTask
) -> list[GuardCheck]:
    """Realized accuracy drop (multiclass) or relative MAE increase (regression) against
    the champion, once each has ``min_labelled_events`` labelled events.

    >>> from watchkeeper.config.lifecycle import RolloutGuards
    >>> champion = RouteStatistics(labelled=300, absolute_error_total=300.0)
    >>> canary = RouteStatistics(labelled=300, absolute_error_total=390.0)
    >>> [check.describe() for check in realized_task_checks(champion, canary, RolloutGuards(),
    ...                                                     "regression")]
    ['realized_mae_increase 0.3 above the limit 0.2']
    """
    enough = guards.min_labelled_events
    if champion.labelled < enough or challenger.labelled < enough:
        return []
    if task == "multiclass":
        drop = (champion.realized_accuracy or 0.0) - (challenger.realized_accuracy or 0.0)
        limit = guards.max_accuracy_drop
        return [GuardCheck("realized_accuracy_drop", drop, limit, drop <= limit)]
    base, mae = champion.realized_mae or 0.0, challenger.realized_mae or 0.0
    if task != "regression" or base <= 0:  # a perfect champion leaves no share to compare
        return []
    increase = mae / base - 1.0
    limit = guards.max_mae_increase
    return [GuardCheck("realized_mae_increase", increase, limit, increase <= limit)]


def _prediction_drift(
    champion: RouteStatistics, challenger: RouteStatistics, guards: RolloutGuards, task: ModelTask
) -> list[GuardCheck]:
    """The PSI of the challenger's decided classes (multiclass) or predicted values on the
    period's bins (regression) against the champion's on the same period."""
    if task == "multiclass":
        classes = sorted({*champion.decision_counts, *challenger.decision_counts})
        reference = [champion.decision_counts.get(name, 0) for name in classes]
        current = [challenger.decision_counts.get(name, 0) for name in classes]
        name = names.DECISION_PSI
    else:
        reference, current = list(champion.prediction_counts), list(challenger.prediction_counts)
        name = names.PREDICTION_PSI
    if len(reference) < 2 or len(reference) != len(current) or not sum(reference):
        return []
    psi = population_stability_index(reference, current)
    return [GuardCheck(name, psi, guards.max_score_psi, psi <= guards.max_score_psi)]


def _error_rate(challenger: RouteStatistics, guards: RolloutGuards) -> GuardCheck:
    return GuardCheck(
        "error_rate",
        challenger.error_rate,
        guards.max_error_rate,
        challenger.error_rate <= guards.max_error_rate,
    )


def _latency(
    champion: RouteStatistics, challenger: RouteStatistics, guards: RolloutGuards
) -> list[GuardCheck]:
    if not (champion.events and champion.mean_latency_ms > 0):
        return []
    ratio = challenger.mean_latency_ms / champion.mean_latency_ms
    return [
        GuardCheck(
            "latency_ratio", ratio, guards.max_latency_ratio, ratio <= guards.max_latency_ratio
        )
    ]


def realized_checks(
    champion: RouteStatistics, challenger: RouteStatistics, guards: RolloutGuards
) -> list[GuardCheck]:
    """Realized recall and precision drops against the champion, where labels suffice.

    >>> from watchkeeper.config.lifecycle import RolloutGuards
    >>> few = RouteStatistics(positives=5, caught=1)
    >>> realized_checks(few, few, RolloutGuards())
    []
    """
    checks = []
    enough = guards.min_labelled_positives
    if champion.positives >= enough and challenger.positives >= enough:
        drop = (champion.realized_recall or 0.0) - (challenger.realized_recall or 0.0)
        checks.append(
            GuardCheck(
                "realized_recall_drop", drop, guards.max_recall_drop, drop <= guards.max_recall_drop
            )
        )
    if champion.matured_flags >= enough and challenger.matured_flags >= enough:
        drop = (champion.realized_precision or 0.0) - (challenger.realized_precision or 0.0)
        checks.append(
            GuardCheck(
                "realized_precision_drop",
                drop,
                guards.max_precision_drop,
                drop <= guards.max_precision_drop,
            )
        )
    return checks


def _flag_ratio(
    name: str,
    challenger: RouteStatistics,
    expected: float,
    guards: RolloutGuards,
    *,
    both_ways: bool = True,
) -> GuardCheck:
    """The flag rate's ratio to ``expected``: too many flags, or (``both_ways``) too few.

    Flags cluster by card (a stolen card is used many times, and the canary splits traffic
    by card), so a day's point estimate swings widely; the ratio judged is that of the end of
    the challenger's 95% Wilson interval nearest to ``expected``: the guard fails only when
    the whole interval lies beyond the limit.

    >>> from watchkeeper.config.lifecycle import RolloutGuards
    >>> _flag_ratio("f", RouteStatistics(events=600, flags=17), 0.01, RolloutGuards()).passed
    True
    >>> _flag_ratio("f", RouteStatistics(events=600, flags=40), 0.01, RolloutGuards()).passed
    False
    """
    floor = 1.0 / max(challenger.events, 1)
    interval = wilson_interval(challenger.flags, challenger.events)
    reference = max(expected, floor)
    if interval.low > reference:
        ratio = max(interval.low, floor) / reference
    elif both_ways and interval.high < reference:
        ratio = reference / max(interval.high, floor)
    else:
        ratio = 1.0
    return GuardCheck(name, ratio, guards.max_flag_rate_ratio, ratio <= guards.max_flag_rate_ratio)


__all__ = [
    "BINARY_ONLY_GUARDS",
    "MIN_GUARD_EVENTS",
    "SCORE_BINS",
    "CanaryStatistics",
    "GuardCheck",
    "InapplicableCheck",
    "ReferencedCheck",
    "RouteStatistics",
    "check_guards",
    "not_applicable",
    "realized_checks",
    "realized_task_checks",
    "score_bin",
    "task_guards",
]
