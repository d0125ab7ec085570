"""A desk writes the snapshot its command's event committed to, encoded once: the row it
remembers as checked is the row stored, and a snapshot it cannot write costs only speed."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError

from casehistory import CaseDesk

from ._builders import AGENT, T, memory_desk, open_case


def _to(desk: CaseDesk, case_id: UUID, version: int) -> None:
    while desk._load(case_id).version < version:
        desk.add_note(case_id, text="n", by=AGENT, occurred_at=T)


def test_the_snapshot_written_is_the_row_remembered() -> None:
    desk = memory_desk()
    case_id = open_case(desk)
    _to(desk, case_id, 50)
    [row] = desk._store.snapshots.recorder.select_events(case_id)
    assert row.originator_version == 50
    assert desk.snapshot_log.remembered(row) is not None  # the very bytes stored
    used = desk.snapshot_log.used
    desk.add_note(case_id, text="after", by=AGENT, occurred_at=T)
    assert desk.snapshot_log.used == used + 1  # the next load started from it, unchecked


def test_a_snapshot_that_cannot_be_written_costs_only_speed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = memory_desk()
    case_id = open_case(desk)
    _to(desk, case_id, 49)

    def failing(*_: object, **__: object) -> None:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(desk._store.snapshots.recorder, "insert_events", failing)
    assert desk.add_note(case_id, text="the 50th", by=AGENT, occurred_at=T) == 50
    monkeypatch.undo()
    assert desk.snapshot_log.not_written == 1
    assert list(desk._store.snapshots.recorder.select_events(case_id)) == []
    assert desk._load(case_id).version == 50
