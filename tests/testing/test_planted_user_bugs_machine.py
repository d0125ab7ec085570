"""Proof that a :class:`~casehistory.testing.CaseDeskMachine` subclass, with the settings
a user gets by default, finds the bugs a team writes in its own projections.

The projections are those of ``test_planted_user_bugs`` (an outside user's code reading
``desk.history(case_id)``, each right and with one realistic bug). Here the team tests
them as a state machine would: a subclass keeps what it expects from the commands the
desk accepted (the ``on_opened`` and ``on_recorded`` hooks), and an ``@invariant()``
compares it, after every step, with its projection of every case's stored history.
Each test asks two things: the right projection passes, and the machine finds the bug
from every one of five fixed seeds (``benchmarks/planted_bugs_machine.py`` counts the
seeds of 20, with shrinking).

Only ``database=None`` (each seed searches afresh) and, here, no shrinking are changed
from the machine's own settings (whose phases leave out ``Phase.explain``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from casehistory import Direction
from casehistory.testing import Command
from casehistory.testing.machine import CaseDeskMachine
from tests.testing.test_planted_user_bugs import (
    Exposure,
    Projection,
    refund_exposure,
    refund_exposure_ignoring_reopens,
    refund_exposure_in_local_months,
    time_to_first_contact,
    time_to_first_response,
)

# The team's machines: what it expects, kept from the hooks; its projection, checked ----


class ExposureMachine(CaseDeskMachine):
    """Refund exposure per (currency, month in UTC) of each case, from its refunds."""

    projection: ClassVar[Callable[..., Any]] = staticmethod(refund_exposure)
    failing: ClassVar[list[int]] = []  # the steps of each run the invariant failed in

    def __init__(self) -> None:
        super().__init__()
        self.expected: dict[UUID, Exposure] = {}
        self.steps = 0

    def on_opened(self, case_id: UUID) -> None:
        self.steps += 1
        self.expected[case_id] = {}

    def on_recorded(self, case_id: UUID, command: Command) -> None:
        self.steps += 1
        if command.method == "issue_refund":
            amount = command.kwargs["amount"]
            month = command.kwargs["occurred_at"].astimezone(UTC).strftime("%Y-%m")
            exposure = self.expected[case_id]
            key = (amount.currency, month)
            exposure[key] = exposure.get(key, Decimal(0)) + amount.amount

    def on_refused(self, case_id: UUID, command: Command, error: type[Exception]) -> None:
        self.steps += 1

    @invariant()
    def the_report_matches_the_refunds(self) -> None:
        for case_id, expected in self.expected.items():
            found = self.projection(self.desk.history(case_id))
            if found != expected:
                self.failing.append(self.steps)
            assert found == expected, f"case {case_id}: exposure {found} != {expected}"


class ResponseMachine(CaseDeskMachine):
    """Time from each case's opening to the company's first (outbound) contact."""

    projection: ClassVar[Callable[..., Any]] = staticmethod(time_to_first_response)
    failing: ClassVar[list[int]] = []

    def __init__(self) -> None:
        super().__init__()
        self.opened_at: dict[UUID, datetime] = {}
        self.expected: dict[UUID, timedelta | None] = {}
        self.steps = 0

    def on_opened(self, case_id: UUID) -> None:
        self.steps += 1
        self.opened_at[case_id] = self.desk.history(case_id)[0].occurred_at
        self.expected[case_id] = None

    def on_recorded(self, case_id: UUID, command: Command) -> None:
        self.steps += 1
        outbound = command.method == "log_contact" and (
            command.kwargs["direction"] is Direction.OUTBOUND
        )
        if outbound and self.expected[case_id] is None:
            self.expected[case_id] = command.kwargs["occurred_at"] - self.opened_at[case_id]

    def on_refused(self, case_id: UUID, command: Command, error: type[Exception]) -> None:
        self.steps += 1

    @invariant()
    def the_response_time_matches_the_contacts(self) -> None:
        for case_id, expected in self.expected.items():
            found = self.projection(self.desk.history(case_id))
            if found != expected:
                self.failing.append(self.steps)
            assert found == expected, f"case {case_id}: response {found} != {expected}"


def with_projection(machine: type[CaseDeskMachine], projection: Projection) -> type[Any]:
    """``machine`` checking ``projection``, and keeping its failures apart."""
    attributes = {"projection": staticmethod(projection), "failing": []}
    return type(f"{machine.__name__}_{projection.__name__}", (machine,), attributes)


PLANTED: dict[str, tuple[type[CaseDeskMachine], Projection, Projection, int]] = {
    "refunds after a reopen ignored": (
        ExposureMachine,
        refund_exposure,
        refund_exposure_ignoring_reopens,
        6,
    ),
    "month in local time, not UTC": (
        ExposureMachine,
        refund_exposure,
        refund_exposure_in_local_months,
        4,
    ),
    "first response from a contact of either direction": (
        ResponseMachine,
        time_to_first_response,
        time_to_first_contact,
        2,
    ),
}
"""bug -> (the user's machine, the right projection, the one with the bug, the fewest
desk calls that show the bug: open, pay, assign (a new case takes no refund and is not
resolved), resolve, reopen, refund; open, pay, assign, refund on a month's edge; open,
a contact from the customer)."""


def search(
    machine: type[CaseDeskMachine], projection: Projection, at: int, *, shrink: bool
) -> tuple[bool, int | None]:
    """Run ``machine`` checking ``projection`` from seed ``at``, with the machine's own
    settings but no database: whether it failed, and the desk calls of the last run it
    failed in (the shrunk one, when ``shrink``)."""
    checked = with_projection(machine, projection)
    given = settings(checked.TestCase.settings, database=None)
    if not shrink:
        given = settings(given, phases=[p for p in given.phases if p is not Phase.shrink])

    def factory() -> CaseDeskMachine:
        made: CaseDeskMachine = checked()
        return made

    factory._hypothesis_internal_use_seed = at  # type: ignore[attr-defined]  # as @seed(at)
    try:
        run_state_machine_as_test(factory, settings=given)
    except AssertionError:
        return True, checked.failing[-1] if checked.failing else None
    return False, None


SEEDS = (1, 2, 3, 4, 5)

pytestmark = pytest.mark.usefixtures("same_search_whatever_is_imported")


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_the_right_projection_passes(bug: str) -> None:
    machine, right, _, _ = PLANTED[bug]

    found, _ = search(machine, right, 0, shrink=False)

    assert not found


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_the_planted_bug_is_found_from_every_seed(bug: str) -> None:
    machine, _, planted, _ = PLANTED[bug]

    missed = [at for at in SEEDS if not search(machine, planted, at, shrink=False)[0]]

    assert not missed, f"{bug!r} not found from seeds {missed}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
