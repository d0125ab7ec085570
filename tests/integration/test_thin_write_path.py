"""A desk on a SQLite file records a command's events through a thin path
(``casehistory.desk._application._SQLiteWriter``: a lone event as one INSERT in
autocommit mode, else BEGIN, the INSERTs, COMMIT, on a pooled connection, without
eventsourcing's wrappers), reads its cached cases' news with the
pool's own connection, and looks command ids up with one statement outside a
transaction (``casehistory.desk._idempotent``). Each must keep what eventsourcing's
path guaranteed: a version already stored is a conflict and records nothing, nothing
of a failed transaction stays, notification ids are the rows' positions in the log,
and a command id is recognised whoever recorded it. These tests attack them from
outside: another desk or process writing the same case between a command's load and
its save, a row put in the way with plain SQL, a trigger that fails the insert, a
replayed command id with the index of command ids dropped."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from casehistory import (
    CaseDesk,
    CommandIdReused,
    ConcurrentUpdate,
    Customer,
    StoreUnavailable,
)
from casehistory.audit.scan import scan_log
from casehistory.desk._application import _SQLiteWriter
from tests.integration._write_path import AGENT, AT, HookedClock, note, open_case
from tests.integration._write_path import desks as desks  # the fixture, by name

CUSTOMER = Customer("c-1", "Dana Smith")


def _open(desk: CaseDesk) -> UUID:
    return open_case(desk, CUSTOMER)


_note = note


def _rows(path: Path, case_id: UUID) -> list[tuple[int, int, str]]:
    """``(rowid, version, topic)`` of the case's stored events, read with plain SQL."""
    return [row[:3] for row in _rows_with_ids(path, case_id)]


def _rows_with_ids(path: Path, case_id: UUID) -> list[tuple[int, int, str, str | None]]:
    """``(rowid, version, topic, command id)`` of the case's stored events."""
    with sqlite3.connect(path) as db:
        return list(
            db.execute(
                "SELECT rowid, originator_version, topic, "
                "CASE WHEN json_valid(state) THEN json_extract(state, '$.command_id') END "
                "FROM stored_events WHERE originator_id = ? ORDER BY originator_version",
                (case_id.hex,),
            )
        )


def _pooled_connections(desk: CaseDesk) -> list[sqlite3.Connection]:
    pool = desk._store.recorder.datastore.pool
    return [connection._sqlite_conn for connection in list(pool._pool)]


@pytest.mark.parametrize("cache", [0, 16])
def test_the_thin_path_records_and_numbers_as_eventsourcing_does(
    desks: Callable[..., CaseDesk], sqlite_path: Path, cache: int
) -> None:
    desk = desks(cache)
    case_id = _open(desk)
    assert isinstance(desk._store.__dict__.get("_writer"), _SQLiteWriter)  # the path taken
    positions = []
    for n in range(120):  # past two snapshots
        assert _note(desk, case_id, f"note {n}") == n + 3
        positions.append(desk.last_position)
    rows = _rows(sqlite_path, case_id)
    assert [version for _, version, _ in rows] == list(range(1, 123))
    # last_position is the notification id eventsourcing gives: the row's rowid.
    assert positions == [rowid for rowid, _, _ in rows[2:]]
    log = desk._recorder.select_notifications(positions[0], 5)
    assert [(n.id, n.originator_version) for n in log] == [(p, v) for p, v, _ in rows[2:7]]
    assert not scan_log(desk).findings


@pytest.mark.parametrize("cache", [0, 16])
def test_another_desk_writing_between_load_and_save_is_a_conflict_that_records_nothing(
    desks: Callable[..., CaseDesk], sqlite_path: Path, cache: int
) -> None:
    clock = HookedClock()
    desk, other = desks(cache, clock), desks(cache, clock)
    case_id = _open(desk)
    _note(desk, case_id, "warm the cache", command_id="warm")
    clock.hook = lambda: _note(other, case_id, "the other desk's note", command_id="other-1")
    with pytest.raises(ConcurrentUpdate, match="version 4"):
        _note(desk, case_id, "decided on version 3", command_id="refused")
    rows = _rows(sqlite_path, case_id)
    assert len(rows) == 4  # the other desk's note, and nothing of the refused command
    assert all(not db.in_transaction for db in _pooled_connections(desk))
    # Neither desk is left with a stale case: both decide on version 4 from now on.
    assert _note(desk, case_id, "after the conflict", command_id="after") == 5
    assert _note(other, case_id, "and the other", command_id="other-2") == 6
    # With retries, the command is run again from a fresh load and recorded after it.
    desk.retries = 1
    clock.hook = lambda: _note(other, case_id, "in the way again", command_id="other-3")
    assert _note(desk, case_id, "run again", command_id="again") == 8
    recorded = [row[3] for row in _rows_with_ids(sqlite_path, case_id)]
    assert recorded[2:] == ["warm", "other-1", "after", "other-2", "other-3", "again"]
    # The refused command's id was never recorded: given again, it is a first delivery.
    assert _note(desk, case_id, "decided on version 3", command_id="refused") == 9


@pytest.mark.parametrize("cache", [0, 16])
def test_a_row_put_in_the_way_with_plain_sql_is_a_conflict_and_the_transaction_is_undone(
    desks: Callable[..., CaseDesk], sqlite_path: Path, cache: int
) -> None:
    clock = HookedClock()
    desk = desks(cache, clock)
    case_id = _open(desk)

    def squat() -> None:  # a row at the version the command is about to record
        with sqlite3.connect(sqlite_path) as db:
            db.execute(
                "INSERT INTO stored_events VALUES (?, 3, 'someone:Else', x'7b7d')", (case_id.hex,)
            )

    clock.hook = squat
    before = desk.last_position
    with pytest.raises(ConcurrentUpdate):
        _note(desk, case_id, "meets the squatter")
    assert desk.last_position == before
    assert [(v, t) for _, v, t in _rows(sqlite_path, case_id)][2:] == [(3, "someone:Else")]
    assert all(not db.in_transaction for db in _pooled_connections(desk))


def test_a_failing_insert_is_a_store_failure_not_a_conflict_and_leaves_no_transaction(
    desks: Callable[..., CaseDesk], sqlite_path: Path
) -> None:
    desk = desks(16)
    case_id = _open(desk)
    with sqlite3.connect(sqlite_path) as db:  # fails at insert time: no such table
        db.execute(
            "CREATE TRIGGER in_the_way BEFORE INSERT ON stored_events "
            "BEGIN INSERT INTO no_such_table VALUES (1); END"
        )
    with pytest.raises(StoreUnavailable, match="no_such_table"):
        _note(desk, case_id, "cannot be recorded")
    assert all(not db.in_transaction for db in _pooled_connections(desk))
    with sqlite3.connect(sqlite_path) as db:
        db.execute("DROP TRIGGER in_the_way")
    assert len(_rows(sqlite_path, case_id)) == 2
    assert _note(desk, case_id, "recorded now") == 3


def test_a_replaced_insert_is_honoured_so_the_thin_path_steps_aside(
    desks: Callable[..., CaseDesk],
) -> None:
    desk = desks(16)
    case_id = _open(desk)
    recorder = desk._store.recorder
    seen: list[int] = []
    insert = recorder.insert_events

    def counted(stored: Any, **kwargs: Any) -> Any:
        seen.append(len(stored))
        return insert(stored, **kwargs)

    recorder.insert_events = counted
    assert _note(desk, case_id, "through the replacement") == 3
    assert seen == [1]
    assert desk.last_position is not None
    del recorder.insert_events
    assert _note(desk, case_id, "through the thin path") == 4
    assert seen == [1]


def test_a_replayed_command_id_is_recognised_across_desks_and_without_its_index(
    desks: Callable[..., CaseDesk], sqlite_path: Path
) -> None:
    desk, other = desks(16), desks(0)
    case_id = _open(desk)
    first = _note(desk, case_id, "once", command_id="idempotent-1")
    assert _note(desk, case_id, "once", command_id="idempotent-1") == first
    # The same call spelled otherwise (case_id by keyword) is the same command.
    assert (
        other.add_note(
            case_id=case_id, text="once", by=AGENT, occurred_at=AT, command_id="idempotent-1"
        )
        == first
    )
    with pytest.raises(CommandIdReused):
        _note(other, case_id, "other text", command_id="idempotent-1")
    with sqlite3.connect(sqlite_path) as db:  # the lookup must not depend on the index
        db.execute("DROP INDEX stored_events_command_ids")
    assert _note(other, case_id, "once", command_id="idempotent-1") == first
    with pytest.raises(CommandIdReused):
        _note(desk, case_id, "other text", command_id="idempotent-1")
    assert len(_rows(sqlite_path, case_id)) == 3


_PROCESSES = multiprocessing.get_context("spawn")


def _racer(path: str, case_id: str, name: str, count: int, go: Any, out: Connection) -> None:
    """Add ``count`` notes to the case as fast as the store lets it, on a cached desk,
    each command run again on a conflict; send back ``(version, position)`` of each."""
    with CaseDesk.open(path, cache=16) as desk:
        desk.retries = 100
        go.wait()
        done = []
        for n in range(count):
            version = desk.add_note(
                UUID(case_id),
                text=f"{name} {n}",
                by=AGENT,
                occurred_at=AT,
                command_id=f"{name}-{n}",
            )
            done.append((version, desk.last_position))
        out.send(done)


def test_two_processes_racing_on_one_cached_case_record_every_command_once(
    sqlite_path: Path,
) -> None:
    with CaseDesk.open(sqlite_path) as desk:
        case_id = _open(desk)
    count = 150
    go = _PROCESSES.Event()
    pipes, workers = [], []
    for name in ("left", "right"):
        mine, theirs = _PROCESSES.Pipe(duplex=False)
        worker = _PROCESSES.Process(
            target=_racer, args=(str(sqlite_path), str(case_id), name, count, go, theirs)
        )
        worker.start()
        pipes.append(mine)
        workers.append(worker)
    go.set()
    try:
        reports = []
        for pipe in pipes:
            assert pipe.poll(120), "a writer did not finish"
            reports.append(pipe.recv())
    finally:
        for worker in workers:
            worker.join(60)
    rows = {version: rowid for rowid, version, _ in _rows(sqlite_path, case_id)}
    assert sorted(rows) == list(range(1, 2 * count + 3))
    versions = [version for report in reports for version, _ in report]
    assert sorted(versions) == list(range(3, 2 * count + 3))  # each recorded once
    for report in reports:  # each process's own order, and its own rows' positions
        assert [v for v, _ in report] == sorted(v for v, _ in report)
        assert all(rows[version] == position for version, position in report)
    with CaseDesk.open(sqlite_path) as desk:
        assert not scan_log(desk).findings
    recorded = [row[3] for row in _rows_with_ids(sqlite_path, case_id)][2:]
    assert sorted(recorded) == sorted(
        f"{name}-{n}" for name in ("left", "right") for n in range(count)
    )
