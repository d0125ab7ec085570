"""Where the customers' keys are stored: the table ``casedesk_keys`` (in the SQLite
file, the PostgreSQL schema, or a dict on the in-process recorder), how a key's row is
read and deleted there (and a deleted key's bytes made to leave the store), and the
transaction that creates the table, in which a new key's row is inserted.

Apart from :mod:`._keys`, whose :class:`~._keys.KeyStore` (a :class:`KeyTable`) decides
which key a text is sealed or opened under, when a key is read, made or destroyed, and
what is kept in memory: this is the table alone, on each kind of store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import PersistenceError
from eventsourcing.sqlite import SQLiteDatastore

from casehistory.desk._store_tables import claiming_postgres, claiming_sqlite
from casehistory.domain.sealed import KeysWithheld
from casehistory.errors import StoreUnavailable

__all__ = ["KEY_TABLE", "KeyTable"]

KEY_TABLE = "casedesk_keys"

_CREATE_SQLITE = (
    f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} (key_id TEXT PRIMARY KEY, "
    "customer_id TEXT NOT NULL UNIQUE, key BLOB NOT NULL)"
)
_CREATE_POSTGRES = (
    'CREATE TABLE IF NOT EXISTS "{schema}".' + KEY_TABLE + " (key_id TEXT PRIMARY KEY, "
    "customer_id TEXT NOT NULL UNIQUE, key BYTEA NOT NULL)"
)
_SQLITE_SELECT = {
    column: f"SELECT key_id, key FROM {KEY_TABLE} WHERE {column} = ?"
    for column in ("customer_id", "key_id")
}
_FAILURES = (PersistenceError, sqlite3.Error)


def _stored_id(customer_id: str) -> str:
    """A customer's id as the key table holds it: as it is, but for an id that holds a
    NUL (which PostgreSQL's text refuses, and an event's JSON keeps) or begins with the
    escape's own prefix: those as ``hex:`` and their UTF-8 in hex, one id to one row."""
    if "\x00" in customer_id or customer_id.startswith("hex:"):
        return "hex:" + customer_id.encode("utf-8").hex()
    return customer_id


class KeyTable:
    """The rows of ``casedesk_keys`` in one desk's store (the in-process recorder: a dict
    on it): read and deleted here; :class:`~._keys.KeyStore` inserts a new key's row in
    :meth:`_claiming`."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder
        self._datastore: Any = getattr(recorder, "datastore", None)
        if getattr(recorder, "events_table_name", None) is None:
            self._datastore = None  # the in-process recorder: keys in its dict
        self._postgres = self._datastore is not None and hasattr(self._datastore, "schema")

    # Reading ---------------------------------------------------------------------

    def _memory(self) -> dict[str, tuple[str, bytes]]:
        held: dict[str, tuple[str, bytes]] = self._recorder.__dict__.setdefault(KEY_TABLE, {})
        return held

    def _select(self, where: str, value: str) -> tuple[str, bytes] | None:
        """``(key_id, key)`` of the row whose ``where`` column is ``value``."""
        if self._datastore is None:
            held = self._memory()
            if where == "customer_id":
                return held.get(value)
            for key_id, key in held.values():  # every text a view shows: no test an item
                if key_id == value:
                    return key_id, key
            return None
        if type(self._datastore) is SQLiteDatastore:
            return self._sqlite_select(where, value)
        try:
            with self._datastore.transaction(commit=False) as cursor:
                if self._postgres:
                    schema = self._datastore.schema
                    cursor.execute("SELECT to_regclass(%s) AS found", (f'"{schema}".{KEY_TABLE}',))
                    if cursor.fetchone()["found"] is None:
                        return None
                    cursor.execute(
                        f'SELECT key_id, key FROM "{schema}".{KEY_TABLE} WHERE {where} = %s',
                        (value,),
                    )
                    row = cursor.fetchone()
                    return None if row is None else (row["key_id"], bytes(row["key"]))
                try:
                    cursor.execute(
                        f"SELECT key_id, key FROM {KEY_TABLE} WHERE {where} = ?", (value,)
                    )
                except sqlite3.OperationalError as error:
                    if "no such table" in str(error):
                        return None  # a store where nothing was ever sealed
                    raise
                found = cursor.fetchone()
                return None if found is None else (str(found[0]), bytes(found[1]))
        except _FAILURES as error:
            if "permission denied" in str(error).lower():
                # A login granted the events but not the keys (an auditor's, by design):
                # it verifies everything, and reads no personal text.
                raise KeysWithheld(KEY_TABLE) from None
            raise StoreUnavailable(f"cannot read the key store ({KEY_TABLE}): {error}") from None

    def _sqlite_select(self, where: str, value: str) -> tuple[str, bytes] | None:
        """One statement on a pooled reader connection, outside any transaction (a lone
        SELECT reads one state of the store), kept prepared by the connection's cache:
        every command that seals a text and every text a view shows reads a key."""
        pool = self._datastore.pool
        try:
            connection = pool.get_connection(is_writer=False)
            try:
                found = connection._sqlite_conn.execute(_SQLITE_SELECT[where], (value,)).fetchone()
            finally:
                pool.put_connection(connection)
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None  # a store where nothing was ever sealed
            raise StoreUnavailable(f"cannot read the key store ({KEY_TABLE}): {error}") from None
        except _FAILURES as error:
            raise StoreUnavailable(f"cannot read the key store ({KEY_TABLE}): {error}") from None
        return None if found is None else (str(found[0]), bytes(found[1]))

    # Writing ---------------------------------------------------------------------

    def _destroy(self, customer_id: str) -> bool:
        if self._datastore is None:
            return self._memory().pop(customer_id, None) is not None
        try:
            if self._postgres:
                with self._claiming() as (cursor, mark):
                    cursor.execute(
                        f"DELETE FROM {self._table()} WHERE customer_id = {mark} RETURNING key_id",
                        (_stored_id(customer_id),),
                    )
                    deleted = bool(cursor.fetchall())
                self._vacuum()
                return deleted
            with self._datastore.get_connection(commit=True) as connection:
                cursor = connection.cursor()
                cursor.execute("PRAGMA secure_delete = ON")
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    cursor.execute(_CREATE_SQLITE)
                    cursor.execute(
                        f"DELETE FROM {KEY_TABLE} WHERE customer_id = ? RETURNING key_id",
                        (_stored_id(customer_id),),
                    )
                    deleted = bool(cursor.fetchall())
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
                # The deleted row's page, zeroed, goes to the file; then the WAL, which
                # still holds the page as it was, is emptied.
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                return deleted
        except _FAILURES as error:
            raise StoreUnavailable(f"cannot write the key store ({KEY_TABLE}): {error}") from None

    def _vacuum(self) -> None:
        """On PostgreSQL, a deleted row stays in the table's pages (a dead tuple) until
        VACUUM: run it now, on the pool's connection (autocommit; VACUUM runs in no
        transaction). A login that does not own the table vacuums nothing (PostgreSQL
        warns and goes on): docs/operations.md says to run it then."""
        with self._datastore.get_connection() as connection:
            if connection.autocommit:
                connection.execute(f"VACUUM {self._table()}")

    def _table(self) -> str:
        if self._postgres:
            return f'"{self._datastore.schema}".{KEY_TABLE}'
        return KEY_TABLE

    @contextmanager
    def _claiming(self) -> Iterator[tuple[Any, str]]:
        if self._postgres:
            schema = self._datastore.schema
            create = _CREATE_POSTGRES.format(schema=schema)
            with claiming_postgres(self._datastore, KEY_TABLE, create) as cursor:
                yield cursor, "%s"
        else:
            with claiming_sqlite(self._datastore, _CREATE_SQLITE) as cursor:
                yield cursor, "?"
