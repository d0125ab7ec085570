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

__all__ = ["Database", "Run"]

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
    def transaction(self, *, write: bool) -> Iterator[Run]:
        """One transaction (committed at the end of the block if ``write``, else
        rolled back); store failures are :class:`StoreUnavailable`."""
        try:
            if self._memory is not None:
                with self._lock:
                    yield from self._in_memory(write)
            elif self.sqlite:
                with self._datastore.transaction(commit=write) as cursor:
                    yield self._runner(cursor, sqlite=True)
            else:
                with self._datastore.transaction(commit=write) as cursor:
                    yield self._runner(cursor, sqlite=False)
        except self._failures as error:
            raise StoreUnavailable(f"cannot use the catalog's tables: {error}") from None

    def _in_memory(self, write: bool) -> Iterator[Run]:
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

    def _runner(self, cursor: Any, *, sqlite: bool) -> Run:
        prefix = self.prefix

        if sqlite:

            def run_sqlite(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                cursor.execute(statement.replace("{p}", prefix), [to_sqlite(v) for v in params])
                return [tuple(row) for row in cursor.fetchall()]

            return run_sqlite

        def run_postgres(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
            query = statement.replace("{p}", prefix).replace("%", "%%").replace("?", "%s")
            cursor.execute(cast(Any, query), list(params))
            if cursor.description is None:
                return []
            return [tuple(row.values()) for row in cursor.fetchall()]

        return run_postgres

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()


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
