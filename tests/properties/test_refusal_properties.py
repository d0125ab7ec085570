"""Refused commands leave no trace: the error names the rule, and nothing is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casehistory import (
    Actor,
    CaseDesk,
    CaseHistoryError,
    Channel,
    Customer,
    InvalidInput,
    Role,
    SteppingClock,
)
from casehistory.testing import CaseHistory, Command
from casehistory.testing.strategies import CLOCK_START, invalid_commands, next_command


def new_desk() -> CaseDesk:
    return CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))


@given(invalid_commands(), st.data())
def test_a_refused_command_records_nothing(
    case: tuple[CaseHistory, Command, type[CaseHistoryError]], data: st.DataObject
) -> None:
    history, refused, expected = case
    desk = new_desk()
    case_id = history.apply(desk)
    events, view, trail = desk.history(case_id), desk.case(case_id), desk.trail(case_id)

    # The command breaks a rule - refused, with exactly the error that names it.
    with pytest.raises(CaseHistoryError) as refusal:
        refused.apply(desk, case_id)

    assert type(refusal.value) is expected, refusal.value
    assert desk.history(case_id) == events
    assert desk.case(case_id) == view
    assert desk.trail(case_id) == trail
    # The case still takes its next valid command, as the very next version.
    follow_up = data.draw(next_command(history.model), label="follow_up")
    follow_up.apply(desk, case_id)
    assert desk.case(case_id).version == view.version + 1


def test_a_text_the_store_cannot_encode_is_refused_as_invalid_input() -> None:
    desk = new_desk()
    agent = Actor("a.lee", Role.AGENT)
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    case_id = desk.open_case(
        customer=Customer("c1", "Dana"),
        subject="s",
        channel=Channel.PHONE,
        by=agent,
        occurred_at=when,
    )

    with pytest.raises(InvalidInput, match="lone surrogate"):
        desk.add_note(case_id, text="half an emoji \ud83d", by=agent, occurred_at=when)

    assert len(desk.history(case_id)) == 1
