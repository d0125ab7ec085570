"""Report what casehistory.testing.strategies generates, and how fast.

Run ``python benchmarks/generation.py``: the event types of 300 default
histories, drawn as tests/testing/test_histories.py draws them, then how many histories
of exactly 50 commands Hypothesis generates per second (generation only, no desk), and
with each applied to a fresh in-memory desk; then the time CaseDeskMachine takes for 100
examples on the in-memory store.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

from hypothesis import HealthCheck, Phase, given, settings

from casehistory import CaseDesk, SteppingClock
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories

QUIET = settings(
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def distribution(examples: int = 300) -> Counter[str]:
    seen: Counter[str] = Counter()

    @settings(QUIET, max_examples=examples, derandomize=True)
    @given(case_histories())
    def draw(history: CaseHistory) -> None:
        seen["CaseOpened"] += 1
        seen.update(command.event for command in history.commands)

    draw()
    return seen


def per_second(examples: int = 300, *, apply: bool = False) -> float:
    count = 0

    @settings(QUIET, max_examples=examples)
    @given(case_histories(min_commands=50, max_commands=50))
    def draw(history: CaseHistory) -> None:
        nonlocal count
        count += 1
        if apply:
            history.apply(CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START)))

    start = time.perf_counter()
    draw()
    return count / (time.perf_counter() - start)


def machine_seconds(examples: int = 100, steps: int = 30, runs: int = 3) -> float:
    """Median wall time of CaseDeskMachine for ``examples`` examples on the in-memory store."""
    from hypothesis.stateful import run_state_machine_as_test

    from casehistory.testing.machine import CaseDeskMachine

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_state_machine_as_test(
            CaseDeskMachine,
            settings=settings(QUIET, max_examples=examples, stateful_step_count=steps),
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    seen = distribution()
    total = sum(seen.values())
    print(f"event types in 300 default histories ({total} events):")
    for event, n in seen.most_common():
        print(f"  {event:<24} {n:>5}  {100 * n / total:4.1f}%")
    print(f"histories of 50 commands per second, generated: {per_second():.0f}")
    print(f"  and applied to an in-memory desk: {per_second(100, apply=True):.0f}")
    print(
        "CaseDeskMachine, 100 examples of up to 30 steps, in-memory store, median of 3: "
        f"{machine_seconds():.1f} s"
    )
