"""A case past 50 events is snapshotted in the store, and loading from the snapshot gives
the same case as folding every event."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from casehistory import CaseDesk, Status
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.desk._base import _project
from casehistory.domain.state import fold
from casehistory.domain.values import Actor, Channel, Demeanour, Direction, Role

AGENT = Actor("a.lee", Role.AGENT)


def test_a_long_case_is_snapshotted_and_loads_the_same(
    open_desk: Callable[[], CaseDesk],
    realistic_case: Callable[[CaseDesk], tuple[UUID, UUID]],
    snapshot_rows: Callable[[UUID], list[int]],
) -> None:
    desk = open_desk()
    case_id, _ = realistic_case(desk)  # a closed case of 39 events: no snapshot yet
    assert snapshot_rows(case_id) == []
    when = desk.history(case_id)[-1].occurred_at

    desk.reopen_case(case_id, reason="more to say", by=AGENT, occurred_at=when)
    for n in range(SNAPSHOT_INTERVAL + 20 - len(desk.history(case_id))):
        if n % 2:
            desk.add_note(case_id, text=f"note {n}", by=AGENT, occurred_at=when)
        else:
            desk.log_contact(
                case_id,
                channel=Channel.CHAT,
                direction=Direction.INBOUND,
                summary=f"chat {n}",
                demeanour=Demeanour.FRUSTRATED,
                by=AGENT,
                occurred_at=when,
            )

    events = desk.history(case_id)
    assert len(events) == SNAPSHOT_INTERVAL + 20
    assert snapshot_rows(case_id) == [SNAPSHOT_INTERVAL]
    loaded = desk._load(case_id)
    assert loaded.state == fold(events) == _project(None, events).state
    assert loaded.version == len(events)
    assert loaded.state.status is Status.OPEN
    # A new desk loads from the stored snapshot too, with the same answers.
    reopened = open_desk()
    assert reopened._load(case_id).state == loaded.state
    assert reopened.case(case_id) == desk.case(case_id)
    assert reopened.snapshot_log.used >= 1  # it checked the stored snapshot and used it
    assert reopened.snapshot_log.ignored == 0
    at_snapshot = reopened.case(case_id, known_at=events[SNAPSHOT_INTERVAL - 1].timestamp)
    assert at_snapshot.version == SNAPSHOT_INTERVAL
