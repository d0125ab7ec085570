"""Report what casehistory.testing.strategies generates, and how fast.

Run ``python tests/testing/generation_report.py``: the event types of 300 default
histories, drawn as tests/testing/test_histories.py draws them, then how many histories
of exactly 50 commands Hypothesis generates per second (generation only, no desk), and
with each applied to a fresh in-memory desk.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    seen = distribution()
    total = sum(seen.values())
    print(f"event types in 300 default histories ({total} events):")
    for event, n in seen.most_common():
        print(f"  {event:<24} {n:>5}  {100 * n / total:4.1f}%")
    print(f"histories of 50 commands per second, generated: {per_second():.0f}")
    print(f"  and applied to an in-memory desk: {per_second(100, apply=True):.0f}")
