"""Reading a store's event log as verification needs it: rows by case, by log order,
and the log's shape (its size, its cases, their order) without the events' content.

Through eventsourcing's recorders where they offer the read, else plain SQL on one
connection (:mod:`casehistory._sql`). A pass over the whole log reads it through a
cursor that is iterated, never fetched whole (:func:`log_reading`: on PostgreSQL a
server-side cursor), so that its memory does not grow with the number of events or
of cases.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import PersistenceError, StoredEvent

from casehistory._sql import reading
from casehistory.errors import StoreUnavailable

__all__ = [
    "CaseRows",
    "LogReader",
    "LogRow",
    "case_rows",
    "cases_in_log_order",
    "log_by_case",
    "log_cases",
    "log_keys",
    "log_reading",
    "log_rows",
    "log_size",
    "rows_by_case",
    "snapshot_keys",
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
            yield _fetched(reader, case_id)


def _fetched(reader: Any, case_id: UUID) -> CaseRows:
    """A case's rows and their log positions, by a query of its own on ``reader``."""
    fetched = reader.rows(
        "SELECT {order}, originator_version, topic, state FROM {table} "
        "WHERE originator_id = ? ORDER BY originator_version",
        reader.case_id(case_id),
    )
    return (
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


def log_cases(desk: Any) -> Iterator[UUID] | None:
    """Every case the log holds, in the order of its first event, streamed from one
    query (None for the in-process store)."""
    if not _has_sql(desk._recorder):
        return None
    return _log_cases(desk)


_LOG_CASES = (
    "SELECT originator_id, MIN({order}) AS first FROM {table} GROUP BY originator_id ORDER BY first"
)


def _log_cases(desk: Any) -> Iterator[UUID]:
    with log_reading(desk._recorder) as reader:
        for case_id, _ in reader.stream(_LOG_CASES):
            yield _uuid(case_id)


def cases_in_log_order(desk: Any) -> Iterator[CaseRows] | None:
    """Every case the log holds, in the order of its first event, each with its rows in
    version order and their log positions, all read on one connection (None for the
    in-process store).

    The cases come from a streamed query and each case's rows from a query of its own,
    so that one case is held at a time, whatever the number of cases."""
    if not _has_sql(desk._recorder):
        return None
    return _cases_in_log_order(desk)


def _cases_in_log_order(desk: Any) -> Iterator[CaseRows]:
    with log_reading(desk._recorder) as reader:
        for stored_id, _ in reader.stream(_LOG_CASES):
            yield _fetched(reader, _uuid(stored_id))


LogRow = tuple[int, Any, int, str, bytes]
"""One stored event as :func:`log_by_case` gives it: its log position, its case id as
the table stores it (SQLite: text; PostgreSQL: a UUID), its version, topic and state."""


def log_by_case(desk: Any) -> Iterator[LogRow] | None:
    """Every stored event, by case id and then version (the order of the table's
    primary key), streamed from one query in one read (None for the in-process store).

    A case's rows come one after the other, so a pass can check a case at a time and
    keep nothing of it afterwards; the log order is in each row's position."""
    if not _has_sql(desk._recorder):
        return None
    return _log_by_case(desk)


def _log_by_case(desk: Any) -> Iterator[LogRow]:
    with log_reading(desk._recorder) as reader:
        yield from reader.stream(
            "SELECT {order}, originator_id, originator_version, topic, state FROM {table} "
            "ORDER BY originator_id, originator_version"
        )


_SNAPSHOT_PAGE = 100
"""Rows of the snapshots table read at a time: each page is a short read, and each of
its cases is then read again (its snapshots checked), so a page need not be large."""


def snapshot_keys(desk: Any, page: int = _SNAPSHOT_PAGE) -> Iterator[tuple[Any, int]] | None:
    """The case id (as the table stores it) and version of every row of the snapshots
    table, by case id and version, a page at a time, each page read in a short read of
    its own (so that a caller may read the store between pages); None for the
    in-process store. Empty when the desk keeps no snapshots."""
    recorder = desk._snapshot_rows
    if recorder is None:
        return iter(())
    if not _has_sql(recorder):
        return None
    return _snapshot_keys(recorder, page)


def _snapshot_keys(recorder: Any, page: int) -> Iterator[tuple[Any, int]]:
    after: tuple[Any, ...] = ()
    while True:
        with log_reading(recorder) as reader:
            keys = reader.rows(
                "SELECT originator_id, originator_version FROM {table} "
                + ("WHERE (originator_id, originator_version) > (?, ?) " if after else "")
                + "ORDER BY originator_id, originator_version LIMIT ?",
                *after,
                page,
            )
        for case_id, version in keys:
            yield case_id, int(version)
        if len(keys) < page:
            return
        after = tuple(keys[-1])
        del keys  # one page held at a time, not two while the next is read


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _has_sql(recorder: Any) -> bool:
    """Whether ``recorder`` keeps its rows in an SQL table (not the in-process store)."""
    return (
        getattr(recorder, "events_table_name", None) is not None
        and getattr(recorder, "datastore", None) is not None
    )


_BATCH = 200
"""Rows fetched at a time from a streamed query on PostgreSQL (SQLite steps its query a
row at a time as it is iterated): a batch of events holds their states, ~1 KB each."""

_cursors = itertools.count()


@attrs.frozen
class LogReader:
    """Queries on one connection to a recorder's table, for the time of one read.

    Queries are written as for :class:`casehistory._sql.Reader` (``{table}``,
    ``{order}``, ``?`` marks). :meth:`rows` answers a query whole; :meth:`stream`
    iterates a large one a batch at a time and may be read while :meth:`rows` runs
    other queries on the same connection."""

    _rows: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
    _stream: Callable[[str, Sequence[Any]], Iterator[tuple[Any, ...]]]
    _sqlite: bool

    def case_id(self, case_id: UUID) -> Any:
        """A case id as the desk stores it (SQLite: hex text; PostgreSQL: a uuid)."""
        return case_id.hex if self._sqlite else case_id

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """The rows of ``query``, each a tuple in the order of its columns."""
        return self._rows(query, params)

    def stream(self, query: str, *params: Any) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query``, fetched a batch at a time as they are iterated."""
        return self._stream(query, params)


@contextmanager
def log_reading(recorder: Any) -> Iterator[LogReader]:
    """A :class:`LogReader` on ``recorder``'s table (which must be SQL: see
    :func:`log_by_case`) for the time of the ``with`` block: one read transaction on
    SQLite; on PostgreSQL one transaction, whose streamed queries are server-side
    cursors (a client-side one would bring the whole answer over at once). Store
    failures raise :class:`StoreUnavailable`."""
    table, datastore = recorder.events_table_name, recorder.datastore
    schema = getattr(datastore, "schema", None)
    try:
        if schema is None:
            with datastore.transaction(commit=False) as cursor:
                yield _sqlite_reader(cursor.sqlite_cursor.connection, table)
            return
        yield from _postgres_reader(datastore, schema, table)
    except (PersistenceError, sqlite3.Error) as error:
        raise _store_failure(error) from None


def _sqlite_reader(connection: sqlite3.Connection, table: str) -> LogReader:
    formatted: dict[str, str] = {}
    shared = connection.cursor()  # rows' queries, one after the other, on one cursor

    def run(cursor: sqlite3.Cursor, query: str, params: Sequence[Any]) -> sqlite3.Cursor:
        text = formatted.get(query)
        if text is None:
            text = formatted[query] = query.format(table=table, order="rowid")
        cursor.row_factory = None  # plain tuples: cheaper than sqlite3.Row
        return cursor.execute(text, tuple(params))

    def rows(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return run(shared, query, params).fetchall()

    def stream(query: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        opened = connection.cursor()
        try:
            yield from run(opened, query, params)
        finally:
            opened.close()

    return LogReader(rows, stream, True)


def _postgres_reader(datastore: Any, schema: str, table: str) -> Iterator[LogReader]:
    import psycopg
    from psycopg import sql
    from psycopg.rows import tuple_row

    composed: dict[str, Any] = {}

    def statement(query: str) -> Any:
        found = composed.get(query)
        if found is None:
            found = composed[query] = sql.SQL(query.replace("?", "%s")).format(
                table=sql.Identifier(schema, table),
                order=sql.Identifier("notification_id"),
                schema=sql.Identifier(schema),
            )
        return found

    try:
        with (
            datastore.get_connection() as connection,
            connection.transaction(),
            connection.cursor(row_factory=tuple_row) as shared,
        ):

            def rows(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                shared.execute(statement(query), tuple(params))
                found: list[tuple[Any, ...]] = shared.fetchall()
                return found

            def stream(query: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
                name = f"casehistory_log_{next(_cursors)}"
                with connection.cursor(name, row_factory=tuple_row) as cursor:
                    cursor.itersize = _BATCH
                    cursor.execute(statement(query), tuple(params))
                    yield from cursor

            yield LogReader(rows, stream, False)
    except psycopg.Error as error:
        raise _store_failure(error) from None
