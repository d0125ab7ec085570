"""First response, resolution, closing and time per status, as CaseView tells them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Direction,
    Fault,
    InvalidInput,
    Role,
    Status,
    SteppingClock,
)
from casehistory.domain.events import ContactLogged
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories

AGENT = Actor("a.lee", Role.AGENT)
BOT = Actor("mailer", Role.SYSTEM)
CUSTOMER = Actor("C-1", Role.CUSTOMER)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.fixture
def desk() -> CaseDesk:
    return CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))


def opened(desk: CaseDesk, channel: Channel = Channel.EMAIL) -> UUID:
    case_id = desk.open_case(
        customer=Customer("C-1", "Dana"),
        subject="Broken",
        channel=channel,
        by=AGENT,
        occurred_at=T0,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=hours(0.5))
    return case_id


def resolve(desk: CaseDesk, case_id: UUID, at: datetime) -> None:
    desk.resolve_case(case_id, resolution="fixed", fault=Fault.OURS, by=AGENT, occurred_at=at)


def contact(
    desk: CaseDesk, case_id: UUID, at: float, channel: Channel, direction: Direction, by: Actor
) -> None:
    desk.log_contact(
        case_id, channel=channel, direction=direction, summary="call", by=by, occurred_at=hours(at)
    )


def test_an_inbound_email_waits_for_a_reply(desk: CaseDesk) -> None:
    case_id = opened(desk)
    contact(desk, case_id, 1, Channel.EMAIL, Direction.INBOUND, AGENT)
    contact(desk, case_id, 2, Channel.LETTER, Direction.INBOUND, AGENT)
    assert desk.case(case_id).first_response_at is None
    contact(desk, case_id, 3, Channel.EMAIL, Direction.OUTBOUND, AGENT)
    assert desk.case(case_id).first_response_at == hours(3)


@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.WALK_IN, Channel.CHAT])
def test_an_inbound_contact_on_a_live_channel_logged_by_staff_is_a_response(
    desk: CaseDesk, channel: Channel
) -> None:
    case_id = opened(desk)
    contact(desk, case_id, 1, channel, Direction.INBOUND, AGENT)
    assert desk.case(case_id).first_response_at == hours(1)


def test_an_automatic_acknowledgement_or_a_customer_reaches_nobody(desk: CaseDesk) -> None:
    case_id = opened(desk)
    contact(desk, case_id, 1, Channel.EMAIL, Direction.OUTBOUND, BOT)
    contact(desk, case_id, 2, Channel.CHAT, Direction.INBOUND, CUSTOMER)
    assert desk.case(case_id).first_response_at is None


def test_a_late_entry_of_an_earlier_response_counts_from_when_it_occurred(desk: CaseDesk) -> None:
    case_id = opened(desk)
    contact(desk, case_id, 5, Channel.EMAIL, Direction.OUTBOUND, AGENT)
    contact(desk, case_id, 2, Channel.PHONE, Direction.OUTBOUND, AGENT)  # entered late
    contact(desk, case_id, 7, Channel.PHONE, Direction.OUTBOUND, AGENT)
    view = desk.case(case_id)
    assert view.first_response_at == hours(2)
    # As of before the late entry occurred, it did not count; as the store knew it
    # before it was entered, neither did it.
    assert desk.case(case_id, as_of=hours(3)).first_response_at == hours(2)
    assert desk.case(case_id, as_of=hours(1.9)).first_response_at is None


def test_resolved_closed_and_reopened(desk: CaseDesk) -> None:
    case_id = opened(desk)
    contact(desk, case_id, 1, Channel.PHONE, Direction.OUTBOUND, AGENT)
    resolve(desk, case_id, hours(4))
    view = desk.case(case_id)
    assert (view.status, view.resolved_at, view.closed_at) == (Status.RESOLVED, hours(4), None)
    desk.close_case(case_id, by=AGENT, occurred_at=hours(10))
    view = desk.case(case_id)
    assert (view.resolved_at, view.closed_at, view.status_since) == (hours(4), hours(10), hours(10))
    desk.reopen_case(case_id, reason="back", by=AGENT, occurred_at=hours(12))
    view = desk.case(case_id)
    assert (view.status, view.resolved_at, view.closed_at) == (Status.OPEN, None, None)
    desk.resolve_case(
        case_id, resolution="again", fault=Fault.OURS, by=AGENT, occurred_at=hours(20)
    )
    assert desk.case(case_id).resolved_at == hours(20)
    assert [s for s, *_ in desk.case(case_id).status_changes] == [
        Status.NEW,
        Status.OPEN,
        Status.RESOLVED,
        Status.CLOSED,
        Status.OPEN,
        Status.RESOLVED,
    ]


def test_time_in_each_status(desk: CaseDesk) -> None:
    case_id = opened(desk)
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        summary="photos?",
        awaiting_reply=True,
        by=AGENT,
        occurred_at=hours(2),
    )
    contact(desk, case_id, 26, Channel.EMAIL, Direction.INBOUND, CUSTOMER)
    desk.resolve_case(
        case_id, resolution="fixed", fault=Fault.OURS, by=AGENT, occurred_at=hours(30)
    )
    spent = desk.case(case_id).time_in_status(until=hours(40))
    assert spent == {
        Status.NEW: timedelta(minutes=30),
        Status.OPEN: timedelta(hours=1.5) + timedelta(hours=4),
        Status.AWAITING_CUSTOMER: timedelta(hours=24),
        Status.RESOLVED: timedelta(hours=10),
    }
    with pytest.raises(InvalidInput, match="until"):
        desk.case(case_id).time_in_status(until=datetime(2026, 3, 3))


def test_a_span_that_a_late_entry_turns_backwards_counts_as_zero(desk: CaseDesk) -> None:
    case_id = opened(desk)
    resolve(desk, case_id, hours(0.25))
    spent = desk.case(case_id).time_in_status(until=hours(1))
    assert spent[Status.OPEN] == timedelta(0)
    assert spent[Status.RESOLVED] == timedelta(minutes=30)  # from 09:30, not 09:15


def reference_first_response(events: list[object]) -> datetime | None:
    """Written from the definition in docs, independently of the fold."""
    times = [
        e.occurred_at
        for e in events
        if isinstance(e, ContactLogged)
        and e.by.role in {Role.AGENT, Role.SUPERVISOR, Role.MANAGER}
        and (
            e.direction is Direction.OUTBOUND
            or e.channel in {Channel.PHONE, Channel.WALK_IN, Channel.CHAT}
        )
    ]
    return min(times, default=None)


@settings(max_examples=60, deadline=None)
@given(case_histories(max_commands=30))
def test_times_agree_with_the_definition_on_any_history(history: CaseHistory) -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    events = list(desk.history(case_id))
    view = desk.case(case_id)
    assert view.first_response_at == reference_first_response(events)
    # One entry per change of status, in the order of recording.
    statuses = [s for s, *_ in view.status_changes]
    assert all(a is not b for a, b in itertools.pairwise(statuses))
    assert statuses[-1] is view.status
    assert sum(view.time_in_status(until=view.status_since).values(), timedelta(0)) >= timedelta(0)
