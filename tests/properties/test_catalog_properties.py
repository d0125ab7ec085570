"""The catalog against the fold: on random histories from casehistory.testing, every
row is what the case's own events say, every query answers what an independent filter
over the folded views answers, and paging returns every match once."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import DEFAULT_SLA_POLICY, CaseDesk, Channel, Fault, Status, SteppingClock
from casehistory.catalog._rows import row_of
from casehistory.domain.state import fold
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories

histories = st.lists(case_histories(max_commands=12), min_size=1, max_size=5)


def recorded(cases: list[CaseHistory]) -> CaseDesk:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    for history in cases:
        history.apply(desk)
    return desk


@settings(max_examples=40, deadline=None)
@given(histories)
def test_every_row_is_the_fold_of_its_case(cases: list[CaseHistory]) -> None:
    desk = recorded(cases)
    page = desk.catalog.cases(limit=100)
    assert {row.case_id for row in page.rows} == set(desk.case_ids())
    for row in page.rows:
        events = desk.history(row.case_id)
        wanted = row_of(
            fold(events), len(events), row.position, events[-1].timestamp, DEFAULT_SLA_POLICY
        )
        assert attrs.evolve(row, money=()) == wanted
        assert {m.currency for m in row.money} == set(fold(events).ledger.balances)
        # The SLA columns are desk.sla()'s answer as of the case's last activity.
        clocks = desk.sla(row.case_id, as_of=row.last_activity_at)
        assert row.first_response_due_at == clocks.first_response.due_at
        assert row.first_response_met_at == clocks.first_response.met_at
        assert row.resolution_breached == clocks.resolution.breached


@settings(max_examples=40, deadline=None)
@given(
    histories,
    st.sets(st.sampled_from(Status), min_size=1),
    st.none() | st.sets(st.sampled_from(Fault), min_size=1),
    st.none() | st.sampled_from(Channel),
    st.integers(min_value=1, max_value=4),
    st.sampled_from(["opened", "-opened"]),
)
def test_queries_and_pages_answer_what_a_filter_over_the_views_answers(
    cases: list[CaseHistory],
    statuses: set[Status],
    faults: set[Fault] | None,
    channel: Channel | None,
    limit: int,
    order: str,
) -> None:
    desk = recorded(cases)
    views = [desk.case(case_id) for case_id in desk.case_ids()]
    wanted = [
        v
        for v in views
        if v.status in statuses
        and (faults is None or v.fault in faults)
        and (channel is None or v.channel is channel)
    ]
    wanted.sort(key=lambda v: (v.opened_at, str(v.case_id)), reverse=order == "-opened")
    seen = []
    page = desk.catalog.cases(
        status=statuses, fault=faults, channel=channel, limit=limit, order=order
    )
    while True:
        seen.extend(row.case_id for row in page.rows)
        if page.cursor is None:
            break
        page = desk.catalog.cases(
            status=statuses,
            fault=faults,
            channel=channel,
            limit=limit,
            order=order,
            after=page.cursor,
        )
    assert seen == [v.case_id for v in wanted]
    assert desk.catalog.count(status=statuses, fault=faults, channel=channel) == len(wanted)
    idle = CLOCK_START + timedelta(days=1)
    assert desk.catalog.count(idle_since=idle) == sum(
        1 for v in views if max(v.opened_at, *(e.occurred_at for e in v.events)) <= idle
    )
