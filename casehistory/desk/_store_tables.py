"""The desk's own small tables beside the events (the table of policies, the floor of
rules): whether one exists, and one serialized claim transaction that creates it when
missing, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["claiming_postgres", "claiming_sqlite", "postgres_has", "sqlite_has"]


def sqlite_has(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    return cursor.fetchone() is not None


def postgres_has(cursor: Any, schema: str, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) AS found", (f'"{schema}".{table}',))
    found = cursor.fetchone()
    return found is not None and found["found"] is not None


@contextmanager
def claiming_sqlite(datastore: Any, create: str) -> Iterator[Any]:
    """A cursor in one write transaction that first takes the write lock (BEGIN
    IMMEDIATE: waiting for another desk's, up to the lock timeout, so that what is
    inserted and read after sees one state; a deferred BEGIN would fail at once when
    two desks claim together) and runs ``create``; rolled back on any error."""
    with datastore.get_connection(commit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(create)
            yield cursor
        except BaseException:
            connection.rollback()  # refused: nothing recorded
            raise
        connection.commit()


@contextmanager
def claiming_postgres(datastore: Any, table: str, create: str) -> Iterator[Any]:
    """A cursor in one transaction holding the store's advisory lock for ``table`` (two
    desks creating a table at once would meet in PostgreSQL's catalog, not on its
    primary key), with ``create`` run first if the table is missing: only then, so a
    login that may write rows but not change the schema works on a store its owner
    made."""
    schema = datastore.schema
    with datastore.transaction(commit=True) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f'"{schema}".{table}',))
        if not postgres_has(cursor, schema, table):
            cursor.execute(create)
        yield cursor
