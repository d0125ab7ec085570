"""What the machine's faster checks still check (issue 14): a case's stored rows are
taken in once per view the desk gives, compared as bytes, and only the new ones are
decoded; a store whose recorded bytes change is caught, even when they decode to the
same event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.domain.state import fold
from casehistory.testing._case_checks import CheckedCase
from casehistory.testing.machine import CaseDeskMachine

AGENT = Actor("a.lee", Role.AGENT)
T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _desk_and_case() -> tuple[CaseDesk, Any]:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 2, 9, tzinfo=UTC)))
    case_id = desk.open_case(
        customer=Customer("C-1", "Zebedee Quux", "c-1@example.org"),
        subject="kettle leaks",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=T,
    )
    return desk, case_id


def test_only_the_rows_recorded_since_are_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    desk, case_id = _desk_and_case()
    decoded: list[int] = []
    decode = desk._decoded

    def take_in(view: Any) -> Any:
        # The rows decoded while taking in (the desk's own loads decode too).
        def counted(case: Any, rows: Sequence[Any]) -> Any:
            decoded.append(len(rows))
            return decode(case, rows)

        with monkeypatch.context() as patched:
            patched.setattr(desk, "_decoded", counted)
            return checked.take_in(desk, view)

    checked = CheckedCase(case_id)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=T)
    assert len(take_in(desk.case(case_id))) == 2
    for text in ("one", "two", "three"):
        desk.add_note(case_id, text=text, by=AGENT, occurred_at=T)
    view = desk.case(case_id)
    assert [event.originator_version for event in take_in(view)] == [3, 4, 5]
    assert take_in(view) == ()  # the same view: nothing read again
    assert take_in(desk.case(case_id)) == ()  # another view: read, nothing new decoded
    assert decoded == [2, 3]
    assert checked.events == desk.history(case_id)
    assert checked.state == fold(desk.history(case_id))
    desk.close()


def test_a_view_taken_in_again_reads_the_rows_again(monkeypatch: pytest.MonkeyPatch) -> None:
    desk, case_id = _desk_and_case()
    checked = CheckedCase(case_id)
    checked.take_in(desk, desk.case(case_id))
    original = POPOApplicationRecorder.select_events

    def changed(self: Any, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        return [
            StoredEvent(row.originator_id, row.originator_version, row.topic, row.state + b" ")
            for row in original(self, *args, **kwargs)
        ]

    monkeypatch.setattr(POPOApplicationRecorder, "select_events", changed)
    with pytest.raises(AssertionError, match="append-only"):
        checked.take_in(desk, desk.case(case_id))
    desk.close()


def test_a_store_whose_recorded_bytes_change_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # A store that, once a case has three events, answers its first one with a space
    # after the JSON: the same event once decoded, so comparing events would not see it.
    original = POPOApplicationRecorder.select_events

    def rewritten(self: Any, originator_id: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        rows = original(self, originator_id, **kwargs)
        if len(self._stored_events_index[str(originator_id)]) < 3:
            return rows
        return [
            StoredEvent(row.originator_id, 1, row.topic, row.state + b" ")
            if row.originator_version == 1
            else row
            for row in rows
        ]

    monkeypatch.setattr(POPOApplicationRecorder, "select_events", rewritten)
    given = settings(
        CaseDeskMachine.TestCase.settings,
        max_examples=50,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
    )
    with pytest.raises(AssertionError, match="append-only"):
        run_state_machine_as_test(CaseDeskMachine, settings=given)
