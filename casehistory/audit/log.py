"""Reading a store's event log as verification needs it: rows by case, by log order,
and the log's shape (its size, its cases, their order) without the events' content.

Through eventsourcing's recorders where they offer the read, else plain SQL on one
connection (:mod:`casehistory._sql`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError, StoredEvent

from casehistory._sql import reading
from casehistory.errors import StoreUnavailable

__all__ = [
    "CaseRows",
    "case_rows",
    "log_cases",
    "log_keys",
    "log_rows",
    "log_size",
    "rows_by_case",
]

_PAGE = 500


def _store_failure(error: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"cannot read the event log: {error}")


def case_rows(desk: Any, case_id: UUID) -> Sequence[StoredEvent]:
    """The stored rows of one case, in version order."""
    try:
        rows: Sequence[StoredEvent] = desk._recorder.select_events(case_id)
    except (PersistenceError, sqlite3.Error) as error:
        raise _store_failure(error) from None
    return rows


CaseRows = tuple[UUID, Sequence[StoredEvent], Sequence[int]]
"""A case id, its rows in version order, and each row's log position (none for the
in-process store)."""


def rows_by_case(desk: Any, case_ids: Iterable[UUID]) -> Iterator[CaseRows]:
    """Each case's stored rows, in version order, one case after the other, with their
    log positions, all read on one connection (a query per case, not a transaction per
    case)."""
    with reading(desk._recorder) as reader:
        if reader is None:  # the in-process store
            for case_id in case_ids:
                yield case_id, case_rows(desk, case_id), ()
            return
        for case_id in case_ids:
            fetched = reader.rows(
                "SELECT {order}, originator_version, topic, state FROM {table} "
                "WHERE originator_id = ? ORDER BY originator_version",
                reader.case_id(case_id),
            )
            yield (
                case_id,
                [StoredEvent(case_id, row[1], row[2], bytes(row[3])) for row in fetched],
                [row[0] for row in fetched],
            )


def log_rows(desk: Any, page: int = _PAGE) -> Iterator[StoredEvent]:
    """Every stored event of the desk's store, in log (notification) order, page by page."""
    start: int | None = 1
    while True:
        try:
            rows = desk._recorder.select_notifications(start, page)
        except (PersistenceError, sqlite3.Error) as error:
            raise _store_failure(error) from None
        yield from rows
        if len(rows) < page:
            return
        start = rows[-1].id + 1


def log_size(desk: Any) -> int:
    """How many events the log holds now: a checkpoint fixes its size with this before it
    reads the clock. Writers commit in log order (SQLite has one writer; PostgreSQL
    inserts under a table lock), so the first ``log_size`` entries of any later read are
    exactly the events committed before this call."""
    with reading(desk._recorder) as reader:
        if reader is not None:
            return int(reader.rows("SELECT COUNT(*) FROM {table}")[0][0])
    return sum(1 for _ in log_rows(desk))  # the in-process store: count page by page


def log_keys(desk: Any, page: int = 5000) -> Iterator[tuple[UUID, int]]:
    """The case id and version of every event, in log order, reading no event's content
    (a pass that only needs to know which rows there are, in which order), a page at a
    time so that memory stays flat."""
    after = 0
    while True:
        with reading(desk._recorder) as reader:
            if reader is None:  # the in-process store
                keys = None
            else:
                keys = reader.rows(
                    "SELECT {order}, originator_id, originator_version FROM {table} "
                    "WHERE {order} > ? ORDER BY {order} LIMIT ?",
                    after,
                    page,
                )
        if keys is None:
            for row in log_rows(desk):
                yield _uuid(row.originator_id), row.originator_version
            return
        for _, case_id, version in keys:
            yield _uuid(case_id), int(version)
        if len(keys) < page:
            return
        after = int(keys[-1][0])


def log_cases(desk: Any) -> list[UUID] | None:
    """Every case the log holds, in the order of its first event, in one query (None for
    the in-process store)."""
    with reading(desk._recorder) as reader:
        if reader is None:
            return None
        found = reader.rows(
            "SELECT originator_id, MIN({order}) AS first FROM {table} "
            "GROUP BY originator_id ORDER BY first"
        )
    return [_uuid(case_id) for case_id, _ in found]


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
