"""Report what casehistory.testing.strategies generates, and how fast.

Run ``python benchmarks/generation.py``: the event types of 300 default
histories, drawn as tests/testing/test_histories.py draws them; the share of 1,000
default examples Hypothesis gave up (invalid or overrun); then how many histories of
exactly 50 commands Hypothesis generates per second (generation only, no desk), against
plain Hypothesis data of the same size in the same run (median of five runs each, taken
in turn), and with each history applied to a fresh in-memory desk; then the time
CaseDeskMachine takes for 100 examples on the in-memory store.

The plain baseline: ``st.lists(st.tuples(*[st.integers(0, 1023)] * 8), min_size=50,
max_size=50)``, 50 tuples of 8 small integers; a command of a history uses 4 to 9
choices (a ticket or two, a business time, up to six arguments), and draws 10.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.statistics import collector

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


def given_up(examples: int = 1000) -> tuple[int, int]:
    """(test cases given up, test cases) of ``examples`` default histories, as
    ``--hypothesis-show-statistics`` counts them."""
    reported: list[Any] = []

    @settings(QUIET, max_examples=examples)
    @given(case_histories())
    def draw(history: CaseHistory) -> None:
        pass

    with collector.with_value(reported.append):
        draw()
    cases = reported[0]["generate-phase"]["test-cases"]
    return sum(c["status"] in ("invalid", "overrun") for c in cases), len(cases)


PLAIN = st.lists(st.tuples(*[st.integers(0, 1023)] * 8), min_size=50, max_size=50)
"""Plain data the size of a history of 50 commands (see the module's docstring)."""


def plain_per_second(examples: int = 300) -> float:
    count = 0

    @settings(QUIET, max_examples=examples)
    @given(PLAIN)
    def draw(rows: list[tuple[int, ...]]) -> None:
        nonlocal count
        count += 1

    start = time.perf_counter()
    draw()
    return count / (time.perf_counter() - start)


def compared(runs: int = 5, examples: int = 300) -> tuple[float, float]:
    """Medians of histories/s and plain data/s, the runs taken in turn."""
    histories, plain = [], []
    for _ in range(runs):
        histories.append(per_second(examples))
        plain.append(plain_per_second(examples))
    return statistics.median(histories), statistics.median(plain)


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
    lost, cases = given_up()
    print(f"given up: {lost} of {cases} test cases of 1,000 default histories")
    histories, plain = compared()
    print(
        f"histories of 50 commands per second, generated: {histories:.0f} "
        f"(plain data of that size: {plain:.0f}/s; {plain / histories:.2f}x the time; "
        "medians of 5)"
    )
    print(f"  and applied to an in-memory desk: {per_second(100, apply=True):.0f}")
    with open("/proc/loadavg") as load:
        print(f"load average: {load.read().split()[0]}")
    print(
        "CaseDeskMachine, 100 examples of up to 30 steps, in-memory store, median of 3: "
        f"{machine_seconds():.1f} s"
    )
