"""Verify and export read the log a case at a time (casehistory/audit/scan.py): on stores
tampered with SQL (SQLite and PostgreSQL) the pass by case finds exactly what the pass in
log order finds, in the same order, and their peak memory does not grow with the number
of cases."""

from __future__ import annotations

import io
import os
import sqlite3
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.audit.checkpoint import store_origin
from casehistory.audit.export_jsonl import export_verified
from casehistory.audit.scan import LogEntry, scan_log
from casehistory.audit.store_checks import check_store
from casehistory.audit.verify import Problem, Verification
from casehistory.desk import SNAPSHOT_INTERVAL
from tests.integration._sealed import flip_box

AGENT = Actor("a.lee", Role.AGENT)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _open(desk: CaseDesk, number: int) -> UUID:
    return desk.open_case(
        customer=Customer(f"C-{number}", "Dana Whitfield"),
        subject="Laptop will not charge",
        channel=Channel.EMAIL,
        by=AGENT,
        occurred_at=MONDAY,
    )


def _interleaved(desk: CaseDesk, count: int, notes: int) -> list[UUID]:
    """``count`` cases of ``1 + notes`` events, their events interleaved in the log (each
    round of notes goes through the cases in the other direction)."""
    cases = [_open(desk, number) for number in range(count)]
    for note in range(notes):
        for case_id in cases if note % 2 else reversed(cases):
            desk.add_note(case_id, text=f"note {note}", by=AGENT, occurred_at=MONDAY)
    return cases


def _long_case(desk: CaseDesk) -> UUID:
    """A case with a snapshot (at version SNAPSHOT_INTERVAL)."""
    case_id = _open(desk, 999)
    for n in range(SNAPSHOT_INTERVAL + 4):
        desk.add_note(case_id, text=f"long {n}", by=AGENT, occurred_at=MONDAY + timedelta(hours=n))
    return case_id


def _in_log_order(desk: CaseDesk) -> tuple[Verification, list[LogEntry]]:
    """The pass in log order (taken whenever entries are wanted), and its entries."""
    entries: list[LogEntry] = []
    return scan_log(desk, entry=entries.append), entries


def _found(verification: Verification) -> set[tuple[UUID | None, int | None, str]]:
    return {(f.case_id, f.version, f.problem.value) for f in verification.findings}


def _tamper(raw_sql: Any, small: list[UUID], long_cases: list[UUID], related: UUID) -> None:
    raw_sql.set_state(small[0], 2, flip_box(raw_sql.state(small[0], 2)))  # the note's box
    raw_sql.run("DELETE FROM {events} WHERE originator_id = ? AND originator_version = 2", small[1])
    raw_sql.renumber(small[2], 2, 1000)  # versions 2 and 3 swapped
    raw_sql.renumber(small[2], 3, 2)
    raw_sql.renumber(small[2], 1000, 3)
    raw_sql.run("DELETE FROM {events} WHERE originator_id = ? AND originator_version = 1", small[3])
    raw_sql.run(  # small[4]'s last event moved to the end of small[5]
        "UPDATE {events} SET originator_id = ?, originator_version = 4 "
        "WHERE originator_id = ? AND originator_version = 3",
        small[5],
        small[4],
    )
    state = raw_sql.state(small[6], 2)
    role = b'{"_type_":"Role","_data_":"AGENT"}'
    assert role in state
    raw_sql.set_state(small[6], 2, state.replace(role, b'"AGENT"', 1))
    for long_case in long_cases:  # snapshots moved to versions committing to other states
        raw_sql.run(
            "UPDATE {snapshots} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            SNAPSHOT_INTERVAL - 1,
            long_case,
            SNAPSHOT_INTERVAL,
        )
    raw_sql.set_state(related, 1, flip_box(raw_sql.state(related, 1), 2))  # the subject's box


def test_the_pass_by_case_finds_what_the_pass_in_log_order_finds(
    open_desk: Callable[[], CaseDesk], realistic_case: Any, raw_sql: Any
) -> None:
    desk = open_desk()
    _, related = realistic_case(desk)
    small = _interleaved(desk, 8, 2)
    long_cases = [_long_case(desk), _long_case(desk)]
    _tamper(raw_sql, small, long_cases, related)
    if not raw_sql.postgres:  # a uuid column holds no such row
        raw_sql.run(
            "INSERT INTO {snapshots} SELECT 'not-a-uuid', originator_version, topic, state "
            "FROM {snapshots} WHERE originator_id = ?",
            long_cases[0],
        )
    desk = open_desk()

    by_case = scan_log(desk)
    in_log_order, entries = _in_log_order(desk)

    assert by_case == in_log_order  # the same counts, and the same findings in order
    problems = {f.problem for f in by_case.findings}
    assert problems >= {
        Problem.ALTERED,
        Problem.MISSING,
        Problem.OUT_OF_ORDER,
        Problem.SNAPSHOT,
    }
    tampered = {small[0], small[1], small[2], small[3], small[5], small[6], related}
    assert tampered | set(long_cases) <= {f.case_id for f in by_case.findings}
    assert any(f.case_id is None for f in by_case.findings) != raw_sql.postgres  # the stray
    checked = check_store(desk, [])  # what `casehistory verify` runs
    assert checked.verification == in_log_order
    assert (checked.log_size, checked.origin) == (len(entries), store_origin(entries[0].leaf))
    exported, _ = export_verified(desk, None, io.StringIO())
    assert _found(exported) == _found(by_case)
    assert (exported.cases, exported.events) == (by_case.cases, by_case.events)


def test_a_case_id_stored_in_another_spelling_is_read_as_in_log_order(
    sqlite_path: Path, clock: SteppingClock
) -> None:
    with CaseDesk.open(sqlite_path, clock=clock) as desk:
        small = _interleaved(desk, 3, 2)
    # One row of a case under its upper-case id: the desk never writes that, a pass by
    # case id would take it for another case.
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute(
            "UPDATE stored_events SET originator_id = ? "
            "WHERE originator_id = ? AND originator_version = 2",
            (small[1].hex.upper(), small[1].hex),
        )
    conn.close()
    with CaseDesk.open(sqlite_path, clock=clock) as desk:
        by_case = scan_log(desk)
        in_log_order, entries = _in_log_order(desk)
        checked = check_store(desk, [])

    # Read as the same case, as in log order (a pass grouping rows by their stored id
    # would see a fourth case, and versions missing from two).
    assert by_case == in_log_order
    assert (by_case.cases, by_case.ok) == (3, True)
    assert checked.origin == store_origin(entries[0].leaf)


def _peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _peaks(desk: CaseDesk) -> tuple[int, int]:
    """The peak of Python allocations of verify (scan_log) and of the JSON Lines export of
    the whole store (to a file: a StringIO would hold the whole export)."""

    def export() -> None:
        with open(os.devnull, "w", encoding="utf-8") as out:
            verification, _ = export_verified(desk, None, out)
        assert verification.ok

    scan_log(desk)  # first reads (the mapper's caches, prepared statements) out of the way
    export()
    return _peak(lambda: scan_log(desk)), _peak(export)


def test_verify_and_export_memory_does_not_grow_with_the_cases(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    # More rows than a fetch of the streamed queries (200 on PostgreSQL) in both stores.
    for number in range(250):
        _open(desk, number)
    verify_small, export_small = _peaks(desk)
    for number in range(250, 2500):
        _open(desk, number)
    verify_large, export_large = _peaks(desk)

    # A pass in log order keeps each case's chain head (its last version and digest,
    # ~80 bytes measured, on SQLite and PostgreSQL alike, before and after sealing): it
    # may grow by that much a case, and no more. A case kept whole would add ~0.6 KB to
    # verify, ~0.1 KB to the export: 1.3 MB and 0.2 MB over the 2,250 more cases.
    more = 2250
    slack = 32 * 1024
    assert verify_large <= verify_small + more * 128 + slack, (verify_small, verify_large)
    assert export_large <= 1.5 * export_small + slack, (export_small, export_large)
