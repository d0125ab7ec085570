"""The catalog's connection to its database: the store's own (SQLite file or
PostgreSQL schema), or an in-memory SQLite database beside an in-process store.

Statements are written once, with ``?`` parameters and ``{p}`` before table names (the
schema on PostgreSQL); values are converted here, so the rest of the catalog handles
UUIDs, aware datetimes and Decimals whichever the database."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from casehistory.errors import StoreUnavailable

__all__ = ["Database", "Run", "Runner", "column_converters", "row_converter"]

Run = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
"""Runs one statement in the current transaction and returns its rows (if any)."""

FAILURES: tuple[type[BaseException], ...] = (PersistenceError, sqlite3.Error)


class Database:
    """Transactions on the catalog's tables."""

    def __init__(self, datastore: Any) -> None:
        self._datastore = datastore
        self.schema: str | None = getattr(datastore, "schema", None)
        self.sqlite = self.schema is None
        self._memory: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if datastore is None:  # an in-process store: the catalog lives in memory
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)
            self._memory.isolation_level = None
        self.prefix = "" if self.schema is None else f'"{self.schema}".'
        self._failures: tuple[type[BaseException], ...] = FAILURES
        if not self.sqlite:
            import psycopg

            self._failures = (*FAILURES, psycopg.Error)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Runner]:
        """One transaction (committed at the end of the block if ``write``, else
        rolled back); store failures are :class:`StoreUnavailable`."""
        try:
            if self._memory is not None:
                with self._lock:
                    yield from self._in_memory(write)
            elif self.sqlite:
                with self._datastore.transaction(commit=write) as cursor:
                    if write:
                        # What a write deletes or overwrites (a row's old texts, a
                        # search entry, a page freed) is zeroed in the file, not left
                        # in free space: a forgotten customer's words leave the file
                        # (docs/data-protection.md). On the connection, from now on.
                        cursor.execute("PRAGMA secure_delete = ON")
                    yield self._runner(cursor, sqlite=True)
            else:
                with self._datastore.transaction(commit=write) as cursor:
                    if not write:
                        # READ COMMITTED (the default) gives each statement its own
                        # snapshot: an answer's freshness check, its rows and their
                        # money could each see another state of the catalog (a rebuild
                        # committing between them). One snapshot for the transaction,
                        # as SQLite's read transaction has.
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield self._runner(cursor, sqlite=False)
        except self._failures as error:
            raise StoreUnavailable(f"cannot use the catalog's tables: {error}") from None

    def scrub(self) -> bool:
        """After an erasure was written: leave no copy of the erased texts beside the
        tables. On SQLite, checkpoint the WAL into the file and truncate it (the WAL
        holds the pages as they were before); on PostgreSQL, ``VACUUM`` catalog_cases
        (the only table with texts), whose old row versions hold them until vacuumed
        (a login that does not own the table vacuums nothing: PostgreSQL says so and
        goes on). Whether it was done in full (False: a reader held the WAL, so it was
        not truncated). Outside any transaction."""
        if self._memory is not None:
            return True
        try:
            if self.sqlite:
                with self._datastore.get_connection(commit=True) as connection:
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    busy = cursor.fetchone()
                    return busy is None or not busy[0]
            with self._datastore.get_connection() as connection:
                # The pool's connections are in autocommit: VACUUM runs in none.
                if not connection.autocommit:
                    return False
                connection.execute(f"VACUUM {self.prefix}catalog_cases")
                return True
        except self._failures as error:
            raise StoreUnavailable(f"cannot scrub the catalog's tables: {error}") from None

    def _in_memory(self, write: bool) -> Iterator[Runner]:
        assert self._memory is not None
        cursor = self._memory.cursor()
        cursor.execute("BEGIN")
        try:
            yield self._runner(cursor, sqlite=True)
        except BaseException:
            self._memory.rollback()
            raise
        if write:
            self._memory.commit()
        else:
            self._memory.rollback()

    def _runner(self, cursor: Any, *, sqlite: bool) -> Runner:
        return Runner(cursor, self.prefix, sqlite, self._failures)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()


class Runner:
    """Runs statements in one transaction: one at a time (a :data:`Run`), or one
    statement for many rows (:meth:`many`)."""

    def __init__(
        self,
        cursor: Any,
        prefix: str,
        sqlite: bool,
        failures: tuple[type[BaseException], ...] = FAILURES,
    ) -> None:
        self._cursor = cursor
        self._prefix = prefix
        self._sqlite = sqlite
        self.failures = failures
        """The driver's errors (a refused statement)."""

    @property
    def sqlite(self) -> bool:
        """Whether the database is SQLite (else PostgreSQL)."""
        return self._sqlite

    def _statement(self, statement: str) -> str:
        query = statement.replace("{p}", self._prefix)
        if self._sqlite:
            return query
        return query.replace("%", "%%").replace("?", "%s")

    def __call__(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self._cursor
        if self._sqlite:
            cursor.execute(self._statement(statement), [to_sqlite(v) for v in params])
            return [tuple(row) for row in cursor.fetchall()]
        cursor.execute(cast(Any, self._statement(statement)), list(params))
        if cursor.description is None:
            return []
        return [tuple(row.values()) for row in cursor.fetchall()]

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """``statement`` once for each of ``rows``, whose values are already as the
        database takes them (see :func:`column_converters`)."""
        if rows:
            self._cursor.executemany(cast(Any, self._statement(statement)), rows)


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: bool | None) -> int | None:
    return None if value is None else int(value)


_SQLITE_CONVERTERS: dict[str, Convert] = {"time": _iso, "money": _text, "id": _text, "bool": _int}


def column_converters(kinds: Sequence[str], sqlite: bool) -> tuple[Convert, ...]:
    """For each column of ``kinds`` (see _schema), the function that gives a value as
    the database takes it: on SQLite what :func:`to_sqlite` gives, chosen once per
    column instead of tested per value; PostgreSQL's driver takes the values as they
    are."""
    if not sqlite:
        return tuple(_same for _ in kinds)
    return tuple(_SQLITE_CONVERTERS.get(kind, _same) for kind in kinds)


def row_converter(kinds: Sequence[str], sqlite: bool) -> Callable[[Sequence[Any]], list[Any]]:
    """The function that gives a row of columns of ``kinds`` as the database takes it
    (see :func:`column_converters`), touching only the columns whose values change."""
    changed = [
        (index, convert)
        for index, convert in enumerate(column_converters(kinds, sqlite))
        if convert is not _same
    ]

    def converted(values: Sequence[Any]) -> list[Any]:
        row = list(values)
        for index, convert in changed:
            value = row[index]
            if value is not None:
                row[index] = convert(value)
        return row

    return converted


def to_sqlite(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def from_db(kind: str, value: Any) -> Any:
    """A value read from a column of ``kind`` (see _schema), as Python has it."""
    if value is None:
        return None
    if kind == "time":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment.astimezone(UTC)
    if kind == "money":
        return value if isinstance(value, Decimal) else Decimal(value)
    if kind == "bool":
        return bool(value)
    if kind == "id":
        return value if isinstance(value, UUID) else UUID(value)
    return value
