"""The store's table of policies: which parameters each (policy id, version) names.

``casedesk_policies`` (SQLite: in the store's file; PostgreSQL: in the store's schema;
the in-process store: beside its recorder) holds one row per policy id and version:
the digest of its parameters and the parameters themselves (canonical JSON text).

A desk that may write **claims** its policies when it opens, before any command: in one
transaction it inserts a row for each of its policies that has none (``ON CONFLICT DO
NOTHING``: the primary key is the id and version), then reads the rows back and is
refused (:class:`~casehistory.errors.PolicyVersionConflict`) if any names its id and
version with another digest. Claimed at open rather than with the first decision, so
that a command writes nothing more than its events (the issue's speed budget), and so
that two desks opening at once with different parameters cannot both record theirs:
one insert wins the key, the other desk reads the winner's digest and is refused. A
version claimed and never used costs a row.

A read-only desk only reads (a missing table: nothing recorded, as in a store made
before 0.3.0), so a PostgreSQL login with SELECT rights opens one.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from eventsourcing.persistence import PersistenceError

from casehistory.desk._store_tables import (
    claiming_postgres,
    claiming_sqlite,
    postgres_has,
    sqlite_has,
)
from casehistory.domain.binding import Binding, require_same_parameters
from casehistory.errors import StoreUnavailable
from casehistory.store import READ_ONLY

__all__ = ["POLICY_TABLE", "claim_policies", "recorded_policies"]

POLICY_TABLE = "casedesk_policies"

_COLUMNS = "policy_id, version, digest, parameters"
_CREATE = (
    "CREATE TABLE IF NOT EXISTS {table} (policy_id TEXT NOT NULL, version BIGINT NOT NULL, "
    "digest TEXT NOT NULL, parameters TEXT NOT NULL, PRIMARY KEY (policy_id, version))"
)


def claim_policies(store: Any, own: dict[str, Binding]) -> list[Binding]:
    """Check ``own`` (a desk's policies) against the store's table, recording those it
    does not hold yet unless the store is read-only; refused with
    :class:`PolicyVersionConflict` (nothing recorded) on any other digest. Returns the
    table's rows."""
    recorder = store.recorder
    datastore = getattr(recorder, "datastore", None)
    read_only = bool(store.env.get(READ_ONLY))
    if datastore is None or getattr(recorder, "events_table_name", None) is None:
        return _claim_in_process(recorder, own, read_only)
    try:
        if hasattr(datastore, "schema"):
            return _claim_postgres(datastore, own, read_only)
        return _claim_sqlite(datastore, own, read_only)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the store's table of policies: {error}") from None


def recorded_policies(recorder: Any) -> list[Binding]:
    """Every row of the table of policies of ``recorder``'s store (none when it has no
    such table)."""
    datastore = getattr(recorder, "datastore", None)
    if datastore is None or getattr(recorder, "events_table_name", None) is None:
        return list(getattr(recorder, "casedesk_policies", {}).values())
    try:
        if hasattr(datastore, "schema"):
            with datastore.transaction(commit=False) as cursor:
                return _postgres_rows(cursor, datastore.schema)
        with datastore.transaction(commit=False) as cursor:
            return _sqlite_rows(cursor)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the store's table of policies: {error}") from None


def _claim_in_process(recorder: Any, own: dict[str, Binding], read_only: bool) -> list[Binding]:
    table: dict[str, Binding] = recorder.__dict__.setdefault("casedesk_policies", {})
    require_same_parameters(own, table.values())
    if not read_only:
        for key, binding in own.items():
            table.setdefault(key, binding)
    return list(table.values())


def _rows(found: list[Any]) -> list[Binding]:
    def value(row: Any, index: int, name: str) -> Any:
        return row[name] if isinstance(row, dict) else row[index]

    return [
        Binding(
            str(value(row, 0, "policy_id")),
            int(value(row, 1, "version")),
            str(value(row, 2, "digest")),
            str(value(row, 3, "parameters")),
        )
        for row in found
    ]


def _sqlite_rows(cursor: Any) -> list[Binding]:
    if not sqlite_has(cursor, POLICY_TABLE):
        return []
    cursor.execute(f"SELECT {_COLUMNS} FROM {POLICY_TABLE}")
    return _rows(cursor.fetchall())


def _claim_sqlite(datastore: Any, own: dict[str, Binding], read_only: bool) -> list[Binding]:
    if read_only:
        with datastore.transaction(commit=False) as cursor:
            rows = _sqlite_rows(cursor)
        require_same_parameters(own, rows)
        return rows
    with claiming_sqlite(datastore, _CREATE.format(table=POLICY_TABLE)) as cursor:
        cursor.executemany(
            f"INSERT INTO {POLICY_TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (policy_id, version) DO NOTHING",
            [(b.policy_id, b.version, b.digest, b.parameters) for b in own.values()],
        )
        cursor.execute(f"SELECT {_COLUMNS} FROM {POLICY_TABLE}")
        rows = _rows(cursor.fetchall())
        require_same_parameters(own, rows)
    return rows


def _postgres_rows(cursor: Any, schema: str) -> list[Binding]:
    if not postgres_has(cursor, schema, POLICY_TABLE):
        return []
    cursor.execute(f'SELECT {_COLUMNS} FROM "{schema}".{POLICY_TABLE}')
    return _rows(cursor.fetchall())


def _claim_postgres(datastore: Any, own: dict[str, Binding], read_only: bool) -> list[Binding]:
    schema = datastore.schema
    if read_only:
        with datastore.transaction(commit=False) as cursor:
            rows = _postgres_rows(cursor, schema)
        require_same_parameters(own, rows)
        return rows
    table = f'"{schema}".{POLICY_TABLE}'
    with claiming_postgres(datastore, POLICY_TABLE, _CREATE.format(table=table)) as cursor:
        for b in own.values():
            # A concurrent insert of the same key waits for the other transaction, then
            # does nothing: the SELECT below sees the row that won.
            cursor.execute(
                f"INSERT INTO {table} ({_COLUMNS}) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (policy_id, version) DO NOTHING",
                (b.policy_id, b.version, b.digest, b.parameters),
            )
        cursor.execute(f"SELECT {_COLUMNS} FROM {table}")
        rows = _rows(cursor.fetchall())
        require_same_parameters(own, rows)
    return rows
