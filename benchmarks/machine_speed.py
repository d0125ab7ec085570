"""How fast :class:`~casehistory.testing.CaseDeskMachine` steps, against two one-rule
machines in the same run, and what share of its examples Hypothesis gives up.

Run:  python benchmarks/machine_speed.py               (~1 min)
      python benchmarks/machine_speed.py --rounds 3 --examples 50
      python benchmarks/machine_speed.py --without-checks  (two more machines)

The baselines: a trivial machine (one rule that adds one to a counter: what Hypothesis
itself costs a step; the ratio to it is the figure of issue 14, target at least 0.5),
and a machine whose one rule makes one bare command on a bare eventsourcing
``Application`` in memory (load an aggregate, trigger one event, save it; snapshots
every two events, as the machine's desk takes them; no rules, no checks): what "one
real command per step" costs at the least, so that the ratio to it says how far above
that the machine's checks and its desk's rules put a step.

Each round runs the machines as ``TestCase`` would (the machine's own settings; no
database, so each round searches afresh, and no shrinking: nothing fails), counts the
steps each ran and the seconds they took, and prints the medians over the rounds, the
ratios, and the share of the machine's examples that Hypothesis gave up (status
``invalid`` or ``overrun`` in its statistics; target: under 2%). Quote
``cat /proc/loadavg`` with the figures: the machine has two cores and other work runs
on it.

With ``--without-checks`` it also runs ``CaseDeskMachine`` without its snapshot check,
and without any of its invariants (each replaced, in a subclass, by one that does
nothing): what the checks cost, and what a step that only draws a command and makes it
on the desk reaches.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from hypothesis import Phase, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from hypothesis.statistics import collector

from casehistory.testing.machine import CaseDeskMachine


class Trivial(RuleBasedStateMachine):
    """The baseline: one rule that adds one to a counter."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    @rule()
    def step(self) -> None:
        self.n += 1


class Tally(Aggregate):
    """The aggregate of the bare baseline: one event, one number."""

    def __init__(self) -> None:
        self.total = 0

    @event("Added")
    def add(self, amount: int) -> None:
        self.total += amount


class Tallies(Application[UUID]):
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Tally: 2}


class OneCommand(RuleBasedStateMachine):
    """The bare baseline: each step one command on an in-memory eventsourcing
    application (the first creates the aggregate, as the machine's opens its case)."""

    def __init__(self) -> None:
        super().__init__()
        self.app = Tallies(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.tally: Any = None

    @rule()
    def step(self) -> None:
        if self.tally is None:
            self.tally = Tally()
        else:
            self.tally = self.app.repository.get(self.tally.id)
            self.tally.add(1)
        self.app.save(self.tally)


def _without(name: str, *checks: str) -> type[RuleBasedStateMachine]:
    """``CaseDeskMachine`` with the invariants ``checks`` doing nothing."""

    def nothing(self: Any) -> None:
        pass

    replaced = {check: invariant()(nothing) for check in checks}
    return type(name, (CaseDeskMachine,), replaced)


_INVARIANTS = (
    "status_follows_the_table",
    "money_is_conserved",
    "replay_gives_the_same_views",
    "snapshots_change_no_answer",
    "recorded_decisions_stand",
)
WithoutSnapshotCheck = _without("WithoutSnapshotCheck", "snapshots_change_no_answer")
WithoutInvariants = _without("WithoutInvariants", *_INVARIANTS)

_steps = Counter[str]()


def _counting(machine: type[RuleBasedStateMachine]) -> type[RuleBasedStateMachine]:
    def check_invariants(self: Any, *args: Any) -> None:
        _steps[machine.__name__] += 1  # once before the first step, then after each
        machine.check_invariants(self, *args)

    return type(machine.__name__, (machine,), {"check_invariants": check_invariants})


def _run(machine: type[RuleBasedStateMachine], examples: int) -> tuple[int, float, Counter[str]]:
    """Steps run, seconds taken, and the statuses of the examples."""
    counted = _counting(machine)
    given = settings(
        CaseDeskMachine.TestCase.settings,
        max_examples=examples,
        database=None,
        phases=[Phase.generate],
    )
    statuses: Counter[str] = Counter()

    def keep(stats: Any) -> None:
        for case in stats["generate-phase"]["test-cases"]:
            statuses[case["status"]] += 1

    _steps.clear()
    start = time.perf_counter()
    with collector.with_value(keep):
        run_state_machine_as_test(counted, settings=given)
    seconds = time.perf_counter() - start
    examples_run = statuses["valid"] + statuses["interesting"]
    return _steps[counted.__name__] - examples_run, seconds, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--examples", type=int, default=100, help="examples a round (100)")
    parser.add_argument(
        "--without-checks",
        action="store_true",
        help="also the machine without its snapshot check, and without any invariant",
    )
    args = parser.parse_args()
    assert {found.function.__name__ for found in CaseDeskMachine.setup_state().invariants} == set(
        _INVARIANTS
    ), "the machine's invariants changed: update _INVARIANTS"
    machines: tuple[type[RuleBasedStateMachine], ...] = (CaseDeskMachine, OneCommand, Trivial)
    if args.without_checks:
        machines += (WithoutSnapshotCheck, WithoutInvariants)
    rates: dict[str, list[float]] = {machine.__name__: [] for machine in machines}
    given_up: list[float] = []
    for _ in range(args.rounds):
        for machine in machines:
            steps, seconds, statuses = _run(machine, args.examples)
            rates[machine.__name__].append(steps / seconds)
            if machine is CaseDeskMachine:
                total = sum(statuses.values())
                given_up.append((statuses["invalid"] + statuses["overrun"]) / total)
    ours, bare, trivial = (statistics.median(rates[m.__name__]) for m in machines[:3])
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print("| machine | steps/s (median of rounds) | ratio to trivial | ratio to one command |")
    print("| --- | --- | --- | --- |")
    print(f"| CaseDeskMachine | {ours:,.0f} | {ours / trivial:.2f} | {ours / bare:.2f} |")
    print(f"| one bare eventsourcing command a step | {bare:,.0f} | {bare / trivial:.2f} | 1 |")
    print(f"| trivial one-rule machine | {trivial:,.0f} | 1 | {trivial / bare:.2f} |")
    for machine, label in (
        (WithoutSnapshotCheck, "CaseDeskMachine without the snapshot check"),
        (WithoutInvariants, "CaseDeskMachine without any invariant"),
    ):
        if machine in machines:
            rate = statistics.median(rates[machine.__name__])
            print(f"| {label} | {rate:,.0f} | {rate / trivial:.2f} | {rate / bare:.2f} |")
    print(
        f"given-up examples: {statistics.median(given_up):.1%} (median), "
        f"{max(given_up):.1%} (max) of the machine's"
    )


if __name__ == "__main__":
    main()
