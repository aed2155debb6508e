"""The fuzz suite's targets, run for minutes instead of seconds: cases tried, distinct failures.

Runs every target of ``tests/fuzz/targets.py`` and the rollout state machines of
``tests/fuzz/rollout_machine.py`` in turn (``--batch`` fresh random examples each,
a new seed every round) against a real app over a fresh workspace, until ``--minutes`` have
passed. Every example is held to the invariants of ``tests/fuzz/harness.py`` (never a 5xx,
acknowledged rows in Delta after a flush, every refusal logged, the spool drained, ...) and to
``--case-seconds`` (a case that takes longer is a ``timeout`` failure). A failure does not stop
the run: failures are deduplicated by endpoint, status and kind, and the smallest input seen
for each is printed. Exits 1 when anything failed.

    .venv/bin/python benchmarks/fuzz_long.py --minutes 30 [--targets score.text,body] [--batch 50]
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.harness import Harness, InvariantError
from tests.fuzz.rollout_machine import GatedRolloutMachine, RolloutMachine
from tests.fuzz.targets import TARGETS, Target
from tests.serving.conftest import train_models


class CaseTimeoutError(Exception):
    """A case ran past ``--case-seconds``."""


@dataclass
class Failure:
    """One distinct failure: how often it was seen, on which targets, the smallest input."""

    count: int = 0
    targets: set[str] = field(default_factory=set)
    smallest: str = ""
    detail: str = ""


@dataclass
class Tally:
    """Cases tried per target, and the distinct failures."""

    cases: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, int, str], Failure] = field(default_factory=dict)

    def fail(self, key: tuple[str, int, str], target: str, drawn: Any, detail: str) -> None:
        failure = self.failures.setdefault(key, Failure())
        failure.count += 1
        failure.targets.add(target)
        shown = repr(drawn)
        if not failure.smallest or len(shown) < len(failure.smallest):
            failure.smallest, failure.detail = shown, detail


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeoutError()


def run_case(harness: Harness, target: Target, drawn: Any, tally: Tally, limit: float) -> None:
    """One example of ``target``; a failure is counted, never raised."""
    tally.cases[target.name] += 1
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        target.run(harness, drawn)
    except InvariantError as violation:
        tally.fail(violation.key, target.name, drawn, str(violation))
    except CaseTimeoutError:
        harness.close()
        tally.fail((target.name, 0, "timeout"), target.name, drawn, f"over {limit} s")
    except Exception as error:  # the harness itself, or a store the app left broken
        harness.close()
        kind = f"exception:{type(error).__name__}"
        tally.fail((target.name, 0, kind), target.name, drawn, str(error)[:300])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_batch(
    harness: Harness, target: Target, round_seed: int, examples: int, tally: Tally, limit: float
) -> None:
    """``examples`` fresh examples of ``target`` drawn from ``round_seed``."""

    @seed(round_seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy)
    def fuzz(drawn: Any) -> None:
        run_case(harness, target, drawn, tally, limit)

    fuzz()


MACHINES = {"rollout": RolloutMachine, "rollout.gated": GatedRolloutMachine}
"""The rollout state machines, run as targets of their own (a case is one run of steps)."""


def run_machine(
    name: str, machine: type[RolloutMachine], runs: int, steps: int, tally: Tally, limit: float
) -> None:
    """``runs`` runs of ``steps`` random rollout actions each; the first failure ends them."""

    class Counted(machine):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            tally.cases[name] += 1
            super().__init__()

    signal.setitimer(signal.ITIMER_REAL, limit * runs)
    try:
        run_state_machine_as_test(
            Counted,
            settings=settings(
                max_examples=runs,
                stateful_step_count=steps,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )
    except InvariantError as violation:
        steps_taken = "\n".join(getattr(violation, "__notes__", []))
        tally.fail(violation.key, name, steps_taken, str(violation))
    except CaseTimeoutError:
        tally.fail((name, 0, "timeout"), name, "", f"over {limit * runs} s")
    except Exception as error:
        kind = f"exception:{type(error).__name__}"
        tally.fail((name, 0, kind), name, "", str(error)[:300])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=50, help="examples per target per round")
    parser.add_argument("--case-seconds", type=float, default=30.0)
    parser.add_argument("--targets", default="", help="comma-separated names (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="the first round's seed")
    options = parser.parse_args()
    known = [*TARGETS, *MACHINES]
    names = [name for name in options.targets.split(",") if name] or known
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)} (known: {', '.join(known)})")
    logging.disable(logging.CRITICAL)  # the app logs every poisoned flush; we count them
    signal.signal(signal.SIGALRM, _alarm)

    folder = Path(tempfile.mkdtemp(prefix="watchkeeper-fuzz-"))
    trained = train_models(folder / "models")
    harness = Harness(trained, folder / "runs")
    for machine in MACHINES.values():
        machine.trained, machine.folder = trained, folder / "machines"
    tally = Tally()
    started = time.monotonic()
    deadline = started + options.minutes * 60
    round_number = 0
    try:
        while time.monotonic() < deadline:
            for name in names:
                if time.monotonic() >= deadline:
                    break
                if name in MACHINES:
                    runs = max(1, options.batch // 10)
                    run_machine(name, MACHINES[name], runs, 20, tally, options.case_seconds)
                    continue
                round_seed = options.seed + round_number
                # a fresh workspace per batch: the checks read the Delta tables after every
                # case, and one workspace's thousands of small commits made each read slower
                harness.close()
                run_batch(
                    harness, TARGETS[name], round_seed, options.batch, tally, options.case_seconds
                )
            round_number += 1
            elapsed = time.monotonic() - started
            print(
                f"[{elapsed / 60:5.1f} min] round {round_number}: {sum(tally.cases.values())} "
                f"cases, {len(tally.failures)} distinct failures",
                flush=True,
            )
    finally:
        harness.close()
    report(tally, time.monotonic() - started)
    sys.exit(1 if tally.failures else 0)


def report(tally: Tally, seconds: float) -> None:
    """Print cases per target and the distinct failures."""
    total = sum(tally.cases.values())
    print(f"\n{total} cases in {seconds / 60:.1f} min ({total / max(seconds, 1e-9):.1f}/s)")
    print(f"{'target':<22} {'cases':>8}")
    for name, count in sorted(tally.cases.items()):
        print(f"{name:<22} {count:>8}")
    print(f"\n{len(tally.failures)} distinct failures (endpoint, status, kind)")
    for (endpoint, status, kind), failure in sorted(tally.failures.items()):
        print(
            f"- {endpoint} {status} {kind}: {failure.count} cases, targets {sorted(failure.targets)}"
        )
        print(f"    smallest input: {failure.smallest[:1500]}")
        print(f"    {failure.detail[:300]}")


if __name__ == "__main__":
    main()
