"""Plain SQL on a recorder's table, in SQLite's or PostgreSQL's dialect, on one
connection.

eventsourcing's recorders read events by case and by notification, a transaction per
call. Some reads need what they do not offer (the log's case ids and versions without
the events' content, every snapshot row at once) or are many small queries in a row (a
query per case, the probes of a binary search), where a transaction per query costs
more than the query. :func:`reading` gives one connection and a function that runs a
query on it, whichever of the two databases the store is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import PersistenceError

from casehistory.errors import StoreUnavailable

__all__ = ["COMMAND_ID_FUNCTION", "Reader", "reading"]

COMMAND_ID_FUNCTION = "casedesk_command_id"
"""The PostgreSQL function of a stored event's command id, which its index is on."""


@attrs.frozen
class Reader:
    """Runs queries on one connection to a recorder's table.

    A query names the table ``{table}`` and the log's order column ``{order}``
    (SQLite's ``rowid``, PostgreSQL's ``notification_id``), on PostgreSQL also the
    store's ``{schema}``, and marks parameters with ``?``; a case id parameter goes
    through :meth:`case_id`."""

    _run: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
    _sqlite: bool

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """The rows of ``query``, each a tuple in the order of its columns."""
        return self._run(query, params)

    @property
    def sqlite(self) -> bool:
        """Whether the table is SQLite's (else PostgreSQL's)."""
        return self._sqlite

    def case_id(self, case_id: UUID) -> Any:
        """A case id as the table stores it (SQLite: hex text; PostgreSQL: a uuid)."""
        return case_id.hex if self._sqlite else case_id


@contextmanager
def reading(recorder: Any) -> Iterator[Reader | None]:
    """A :class:`Reader` on ``recorder``'s table for the time of the ``with`` block (one
    read transaction on SQLite, one connection on PostgreSQL); None for the in-process
    store, which has no SQL. Store failures raise :class:`StoreUnavailable`."""
    table = getattr(recorder, "events_table_name", None)
    datastore = getattr(recorder, "datastore", None)
    if table is None or datastore is None:
        yield None
        return
    schema = getattr(datastore, "schema", None)
    try:
        if schema is None:  # SQLite
            with datastore.transaction(commit=False) as cursor:

                def run_sqlite(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                    cursor.execute(query.format(table=table, order="rowid"), tuple(params))
                    return [tuple(row) for row in cursor.fetchall()]

                yield Reader(run_sqlite, True)
            return
        yield from _postgres(datastore, schema, table)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the store: {error}") from None


def _postgres(datastore: Any, schema: str, table: str) -> Iterator[Reader]:
    import psycopg
    from psycopg import sql

    def statement(query: str) -> Any:
        return sql.SQL(query.replace("?", "%s")).format(
            table=sql.Identifier(schema, table),
            order=sql.Identifier("notification_id"),
            schema=sql.Identifier(schema),
        )

    try:
        with datastore.get_connection() as connection, connection.cursor() as cursor:

            def run_postgres(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                cursor.execute(statement(query), tuple(params))
                return [tuple(row.values()) for row in cursor.fetchall()]

            yield Reader(run_postgres, False)
    except psycopg.Error as error:
        raise StoreUnavailable(f"cannot read the store: {error}") from None
