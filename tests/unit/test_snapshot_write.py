"""A desk writes the snapshot its command's event committed to, encoded once: the row it
remembers as checked is the row stored, and a snapshot it cannot write costs only speed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError

from casehistory import CaseDesk, SteppingClock

from ._builders import AGENT, CLOCK_START, T, memory_desk, open_case


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


def _file_desk(path: Path) -> CaseDesk:
    return CaseDesk.open(path / "store.sqlite", clock=SteppingClock(CLOCK_START))


def test_on_a_file_the_snapshot_is_written_in_the_events_transaction(tmp_path: Path) -> None:
    desk = _file_desk(tmp_path)
    case_id = open_case(desk)
    _to(desk, case_id, 49)
    commits: list[str] = []  # what the pool's connection runs
    connection = desk._store.recorder.datastore.pool.get_connection(is_writer=True)
    connection._sqlite_conn.set_trace_callback(commits.append)
    desk._store.recorder.datastore.pool.put_connection(connection)
    assert desk.add_note(case_id, text="the 50th", by=AGENT, occurred_at=T) == 50
    # One transaction: the event, then the snapshot in a savepoint, one COMMIT.
    last_begin = len(commits) - 1 - commits[::-1].index("BEGIN")
    written = [s.split(" VALUES")[0] for s in commits[last_begin:]]
    assert commits.count("COMMIT") == 1  # the load's read is rolled back
    assert written == [  # the command's write: one transaction, one commit
        "BEGIN",
        "INSERT INTO stored_events",
        "SAVEPOINT casedesk_snapshots",
        "INSERT INTO stored_snapshots",
        "RELEASE casedesk_snapshots",
        "COMMIT",
    ]
    [row] = desk._store.snapshots.recorder.select_events(case_id)
    assert row.originator_version == 50
    assert desk.snapshot_log.remembered(row) is not None
    assert desk.snapshot_log.not_written == 0
    desk.close()


def test_on_a_file_a_snapshot_refused_by_the_store_leaves_the_event_recorded(
    tmp_path: Path,
) -> None:
    desk = _file_desk(tmp_path)
    case_id = open_case(desk)
    _to(desk, case_id, 49)
    with sqlite3.connect(tmp_path / "store.sqlite") as other:
        other.execute(
            "CREATE TRIGGER no_snapshots BEFORE INSERT ON stored_snapshots "
            "BEGIN SELECT RAISE(ABORT, 'no snapshots today'); END"
        )
    assert desk.add_note(case_id, text="the 50th", by=AGENT, occurred_at=T) == 50
    assert desk.snapshot_log.not_written == 1
    assert list(desk._store.snapshots.recorder.select_events(case_id)) == []
    assert [e.originator_version for e in desk.history(case_id)][-1] == 50
    desk.close()
    again = _file_desk(tmp_path)
    assert again._load(case_id).version == 50  # replayed from its events
    again.close()
