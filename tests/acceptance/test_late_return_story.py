"""Acceptance: the late-return story, the worked example of the bi-temporal queries.

The story sets its own store times (a FixedClock it moves), so each question "as of
business time T, as known at store time R" has one literal answer, read against the
story module (casehistory/stories/late_return.py) by a person.
"""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from casehistory import (
    Balance,
    CaseDesk,
    CaseNotFound,
    Fault,
    FixedClock,
    InvalidInput,
    Money,
    RmaStage,
    Status,
    SteppingClock,
)
from casehistory.stories import late_return
from casehistory.stories.late_return import BOOKED_IN, FRIDAY_NOON, RETURN_ARRIVED
from casehistory.views.ledger import LEDGER_COLUMNS


def usd(**totals: str) -> dict[str, Balance]:
    money = {column: Money(totals.get(column, "0.00"), "USD") for column in LEDGER_COLUMNS}
    return {"USD": Balance("USD", **money)}


@pytest.fixture
def desk() -> CaseDesk:
    return CaseDesk.open(":memory:", clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))


@pytest.fixture
def case_id(desk: CaseDesk) -> UUID:
    return late_return.tell(desk)


class TestTheStoryEnds:
    def test_closed_as_our_fault_with_the_payment_refunded_in_full(
        self, desk: CaseDesk, case_id: UUID
    ) -> None:
        view = desk.case(case_id)

        assert (view.status, view.fault) == (Status.CLOSED, Fault.OURS)
        assert view.ledger.balances == usd(paid="349.00", refunded="349.00")
        assert [rma.stage for rma in view.rmas] == [RmaStage.CLOSED]

    def test_the_audit_trail_shows_the_return_occurred_thursday_and_recorded_monday(
        self, desk: CaseDesk, case_id: UUID
    ) -> None:
        lines = [str(line) for line in desk.trail(case_id)]

        assert lines[8:10] == [
            (
                "v9 | occurred 2026-03-06T11:06:00+00:00 | recorded 2026-03-06T11:06:00+00:00"
                " | AGENT lena.brandt | NoteAdded: note: no return booked in on RMA"
                " 260302-0318; asked the warehouse to look for the parcel"
            ),
            (
                "v10 | occurred 2026-03-05T14:20:00+00:00 | recorded 2026-03-09T08:40:00+00:00"
                " | AGENT sam.okafor | ReturnReceived: RMA 260302-0318 return received: found on"
                " the returns bench; delivered Thursday, booked in late"
            ),
        ]
        assert len(lines) == 16


class TestWhatWasKnownWhen:
    def test_on_friday_the_desk_knew_of_no_return(self, desk: CaseDesk, case_id: UUID) -> None:
        # The agent on the Friday call saw the RMA still waiting for its return.
        view = desk.case(case_id, as_of=FRIDAY_NOON, known_at=FRIDAY_NOON)

        assert (view.version, view.status) == (9, Status.AWAITING_RETURN)
        assert [rma.stage for rma in view.rmas] == [RmaStage.ISSUED]
        assert view.ledger.balances == usd(paid="349.00")

    def test_now_we_know_the_return_had_arrived_by_friday(
        self, desk: CaseDesk, case_id: UUID
    ) -> None:
        # Since Monday's late entry, the same business time answers differently.
        view = desk.case(case_id, as_of=FRIDAY_NOON)

        assert (view.version, view.status) == (10, Status.IN_SERVICE)
        assert [rma.stage for rma in view.rmas] == [RmaStage.RECEIVED]

    def test_the_late_entry_counts_from_the_moment_it_was_recorded(
        self, desk: CaseDesk, case_id: UUID
    ) -> None:
        before = desk.case(case_id, as_of=FRIDAY_NOON, known_at=BOOKED_IN - timedelta(seconds=1))
        at = desk.case(case_id, as_of=FRIDAY_NOON, known_at=BOOKED_IN)

        assert before.status is Status.AWAITING_RETURN
        assert at.status is Status.IN_SERVICE

    def test_before_the_parcel_arrived_it_was_awaited_whatever_we_know_now(
        self, desk: CaseDesk, case_id: UUID
    ) -> None:
        view = desk.case(case_id, as_of=RETURN_ARRIVED - timedelta(minutes=1))

        assert view.status is Status.AWAITING_RETURN

    def test_before_the_first_call_the_case_did_not_exist(
        self, desk: CaseDesk, case_id: UUID
    ) -> None:
        with pytest.raises(CaseNotFound, match="was not open yet"):
            desk.case(case_id, as_of=datetime(2026, 3, 1, tzinfo=UTC))
        with pytest.raises(CaseNotFound, match="was not recorded yet"):
            desk.case(case_id, known_at=datetime(2026, 3, 1, tzinfo=UTC))


def test_the_story_needs_a_desk_whose_store_times_it_can_set() -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 3, 1, tzinfo=UTC)))

    with pytest.raises(InvalidInput, match="open the desk with a FixedClock"):
        late_return.tell(desk)

    assert list(desk.case_ids()) == []


def test_the_example_in_the_story_module_runs() -> None:
    results = doctest.testmod(late_return)

    assert results.attempted == 6
    assert results.failed == 0
