"""desk.sla(): a case's clocks under the policy it opened with, as of any moment, on
SQLite and PostgreSQL, across a weekend, a pause and a reopening; the policy's terms
recorded on the opening and bound to its parameters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings

from casehistory import (
    DEFAULT_SLA_POLICY,
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Direction,
    Fault,
    Policies,
    PolicyVersionConflict,
    Role,
    SlaPolicy,
    SlaPolicyUnknown,
    SteppingClock,
)
from casehistory.domain.sla import sla_clocks
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories
from casehistory.views import case_view
from casehistory.views.sla import sla_spans

AGENT = Actor("a.lee", Role.AGENT)
FRIDAY_4PM = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
MONDAY = datetime(2026, 3, 9, tzinfo=UTC)


def at_monday(hours: float) -> datetime:
    return MONDAY + timedelta(hours=hours)


def opened(desk: CaseDesk, channel: Channel = Channel.EMAIL) -> UUID:
    case_id = desk.open_case(
        customer=Customer("C-1", "Dana"),
        subject="clock",
        channel=channel,
        by=AGENT,
        occurred_at=FRIDAY_4PM,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=FRIDAY_4PM)
    return case_id


def test_the_opening_records_the_terms_of_the_policy_in_force(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    case_id = opened(desk)
    assert desk.history(case_id)[0].sla == DEFAULT_SLA_POLICY.terms
    assert desk.case(case_id).sla == DEFAULT_SLA_POLICY.terms


def test_four_business_hours_across_a_weekend(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    case_id = opened(desk)
    # Friday 16:00-17:00 is one business hour; Monday 09:00-12:00 the other three.
    before = desk.sla(case_id, as_of=at_monday(11))
    assert before.first_response.due_at == at_monday(12)
    assert not before.first_response.breached
    assert before.first_response.met_at is None
    assert desk.sla(case_id, as_of=at_monday(12.5)).first_response.breached
    # A reply logged later, that occurred on Monday at 10:00, meets it then.
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        summary="we are on it",
        by=AGENT,
        occurred_at=at_monday(10),
    )
    after = desk.sla(case_id, as_of=at_monday(12.5))
    assert after.first_response.met_at == at_monday(10)
    assert not after.first_response.breached
    # As of Monday 09:30 the reply had not happened yet.
    assert desk.sla(case_id, as_of=at_monday(9.5)).first_response.met_at is None


def test_waiting_for_the_customer_pauses_and_resolving_stops_the_clock(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    case_id = opened(desk)
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        summary="photos please",
        awaiting_reply=True,
        by=AGENT,
        occurred_at=at_monday(10),
    )
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        summary="photos",
        by=Actor("C-1", Role.CUSTOMER),
        occurred_at=at_monday(14),
    )
    clocks = desk.sla(case_id, as_of=at_monday(15))
    assert clocks.resolution.paused_for == timedelta(hours=4)
    desk.resolve_case(
        case_id, resolution="fixed", fault=Fault.OURS, by=AGENT, occurred_at=at_monday(16)
    )
    resolved = desk.sla(case_id, as_of=at_monday(40))
    assert resolved.resolution.met_at == at_monday(16)
    assert not resolved.resolution.breached


def test_a_case_is_timed_under_its_own_policy_never_a_changed_one(store: str) -> None:
    clock = SteppingClock(CLOCK_START)
    strict = SlaPolicy(version=2, first_response=timedelta(hours=1))
    with CaseDesk.open(store, clock=clock, policies=Policies(sla=strict)) as desk:
        case_id = opened(desk, Channel.CHAT)
    relabelled = SlaPolicy(version=2, first_response=timedelta(hours=2))
    # Issue 12: the store records sla v2's parameters, so the relabelled policy is
    # refused when the desk opens, before any case is timed under it.
    with pytest.raises(PolicyVersionConflict, match="sla v2"):
        CaseDesk.open(store, clock=clock, policies=Policies(sla=relabelled))
    with CaseDesk.open(store, clock=clock) as desk, pytest.raises(SlaPolicyUnknown, match="know"):
        desk.sla(case_id, as_of=at_monday(9))
    with CaseDesk.open(store, clock=clock, policies=Policies(sla_history=(strict,))) as desk:
        clocks = desk.sla(case_id, as_of=at_monday(9))
        assert clocks.first_response.due_at == FRIDAY_4PM + timedelta(hours=1)
        assert clocks.first_response.breached


def test_two_versions_of_one_policy_with_other_parameters_are_refused() -> None:
    from casehistory import InvalidInput

    with pytest.raises(InvalidInput, match="new version"):
        Policies(sla_history=(SlaPolicy(first_response=timedelta(hours=2)),))


@settings(max_examples=40, deadline=None)
@given(case_histories(max_commands=20))
def test_the_answer_as_of_t_is_the_answer_of_the_events_up_to_t(history: CaseHistory) -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    events = desk.history(case_id)
    opened_at = events[0].occurred_at  # before it, the case was not open (CaseNotFound)
    for moment in sorted({e.occurred_at for e in events if e.occurred_at >= opened_at})[:6]:
        upto = case_view(e for e in events if e.originator_version == 1 or e.occurred_at <= moment)
        awaiting, resolved = sla_spans(upto.status_changes)
        wanted = sla_clocks(
            DEFAULT_SLA_POLICY,
            opened_at=upto.opened_at,
            channel=upto.channel,
            as_of=max(moment, upto.opened_at),
            first_response_at=upto.first_response_at
            and max(upto.first_response_at, upto.opened_at),
            awaiting=awaiting,
            resolved=resolved,
        )
        assert desk.sla(case_id, as_of=moment) == wanted


def test_changing_the_recorded_terms_with_sql_is_found(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    """The terms are covered by the opening's digest: swapping the policy a case opened
    under (to time it under a laxer one) breaks the chain at version 1."""
    from casehistory.audit.scan import scan_log

    desk = open_desk()
    case_id = opened(desk)
    [(state,)] = raw_sql.run(
        "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 1",
        case_id,
    )
    digest = DEFAULT_SLA_POLICY.digest.encode()
    assert digest in bytes(state)
    raw_sql.run(
        "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 1",
        bytes(state).replace(digest, b"0" * 64),
        case_id,
    )
    findings = scan_log(open_desk()).findings
    assert [(f.case_id, f.version) for f in findings][:1] == [(case_id, 1)]
