"""eventsourcing's PostgreSQL store, as a desk runs it: bounded, and set up once.

Three changes to eventsourcing 9.5's ``eventsourcing.postgres`` (docs/operations.md,
timeouts and setup, says why each is there):

- **Every session has a statement timeout and a lock timeout**, sent as connection
  options (``-c statement_timeout=...``), and eventsourcing's idle-in-transaction
  timeout. A statement cut short raises :class:`TimedOut`, which eventsourcing's
  recorders do not retry (they retry every ``OperationalError`` ten times, which would
  turn a 5 s lock timeout into a minute of waiting), and which the desk reports as
  ``StoreUnavailable``.
- **Events are inserted without psycopg's pipeline mode.** In pipeline mode psycopg
  3.3 stops sending once its command queue is empty even when libpq still holds
  unsent bytes of the last command, then waits for a reply the server cannot send
  before it has the whole command: an insert larger than what the socket takes at
  once hung for ever while holding the events table's lock.
- **Tables, types and functions are made once**, under a transaction-level advisory
  lock, and not at all when they exist: eventsourcing runs ``CREATE ... IF NOT EXISTS``
  and ``CREATE OR REPLACE FUNCTION`` at every open, and two opens at once fail with
  ``tuple concurrently updated``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import EnvType, retry
from psycopg import sql
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout

from casehistory._sql import COMMAND_ID_FUNCTION
from casehistory.errors import NotACaseStore, StoreNotFound, StoreUnavailable

__all__ = ["Factory", "TimedOut", "check_read_only_store"]

_LOG = logging.getLogger("casehistory.store")

STATEMENT_TIMEOUT = "POSTGRES_STATEMENT_TIMEOUT"

_TIMEOUTS = (
    psycopg.errors.QueryCanceled,
    psycopg.errors.LockNotAvailable,
    psycopg.errors.IdleInTransactionSessionTimeout,
)

_TABLES = {
    "casedesk_events": ("originator_id", "originator_version", "topic", "state", "notification_id"),
    "casedesk_snapshots": ("originator_id", "originator_version", "topic", "state"),
}


class TimedOut(DatabaseError):
    """A statement that PostgreSQL cut short (statement, lock or idle timeout): not an
    ``OperationalError``, so that eventsourcing does not run it again."""


class _Datastore(PostgresDatastore):
    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        try:
            with super().get_connection() as conn:
                yield conn
        except OperationalError as error:
            cause = error.__cause__
            if isinstance(cause, _TIMEOUTS):
                line = str(cause).strip().splitlines()[0] if str(cause).strip() else "timeout"
                raise TimedOut(
                    f"{line} (the store's timeouts are set in its URL: docs/operations.md)"
                ) from None
            if isinstance(cause, PoolTimeout):
                # The pool says only that it waited; one connection of our own says why
                # (refused, no such role or database, a password refused).
                raise OperationalError(f"{error}: {self._why_no_connection()}") from None
            raise

    def _why_no_connection(self) -> str:
        kwargs = self.pool.kwargs
        assert isinstance(kwargs, dict)  # eventsourcing passes a dict
        settings = {k: v for k, v in kwargs.items() if k != "row_factory"}
        try:
            psycopg.connect(connect_timeout=max(1, int(self.pool.timeout)), **settings).close()
        except psycopg.Error as error:
            said = " ".join(str(error).split())
            return said or type(error).__name__
        return "the server answers now; it did not in time (see ?connect_timeout=)"


class _SetUpOnce:
    """``create_table`` that issues no DDL on a store that has its tables, and runs it
    under an advisory lock (one opener at a time) on one that has not."""

    datastore: PostgresDatastore
    events_table_name: str
    sql_create_statements: list[Any]
    stored_event_type_name: str
    may_write: bool = True

    def create_table(self) -> None:
        datastore = self.datastore
        if not self._needs_setup(lock=False):
            datastore.register_type_adapters()
            return
        with datastore.transaction(commit=True) as cursor:
            # Only setup waits on this lock; commands never take it.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"casehistory setup {datastore.schema}",),
            )
            if self._needs_setup(lock=True, cursor=cursor):
                type_exists = self._type_exists(cursor)
                for statement in self.sql_create_statements:
                    if "CREATE TYPE" in statement.as_string() and type_exists:
                        continue
                    cursor.execute(statement, prepare=False)
        datastore.register_type_adapters()

    def _type_exists(self, cursor: Any) -> bool:
        cursor.execute(
            "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = %s AND t.typname = %s",
            (self.datastore.schema, self.stored_event_type_name),
        )
        return cursor.fetchone() is not None

    def _needs_setup(self, *, lock: bool, cursor: Any = None) -> bool:
        query = (
            "SELECT has_table_privilege(c.oid, 'INSERT') AS writable FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s"
        )
        params = (self.datastore.schema, self.events_table_name)
        if cursor is None:
            with self.datastore.transaction(commit=False) as reading:
                reading.execute(query, params)
                row = reading.fetchone()
                exists = row is not None and self._type_exists(reading)
        else:
            cursor.execute(query, params)
            row = cursor.fetchone()
            exists = row is not None and self._type_exists(cursor)
        if exists and row is not None and not row["writable"]:
            raise ProgrammingError(
                f"permission denied: this login may not insert into "
                f"{self.datastore.schema}.{self.events_table_name}; open the store with "
                "read_only=True, or grant the login INSERT (docs/operations.md)"
            )
        return not exists


_LATER_TABLES = ("casedesk_policies", "casedesk_rules_floor")
"""Tables a store made before them lacks (a read-only desk reads its absence as empty),
but which a login must be able to read where they exist."""

COMMAND_ID_INDEX = "casedesk_events_command_ids"


class _EventRecorder(_SetUpOnce, PostgresApplicationRecorder):
    command_index = False
    """Whether the store's command ids are indexed (known once the desk set it up)."""

    def create_table(self) -> None:
        super().create_table()
        self.command_index = self._index_command_ids()

    def _index_command_ids(self) -> bool:
        """Index the events' command ids by case, once, as a desk's SQLite file does: an
        immutable function of the stored JSON's ``command_id`` and a partial index on it.

        Made under the setup lock by the first desk whose login may create in the
        schema; without it (a login without CREATE, a row that is no JSON) the desk
        searches a case's rows for the id instead, which gives the same answers."""
        datastore = self.datastore
        schema = datastore.schema
        if self._has_command_index():
            return True
        function = sql.Identifier(schema, COMMAND_ID_FUNCTION)
        statements = [
            # A row that is no JSON (changed outside the desk) has no command id: an
            # error here would refuse the insert or UPDATE of such a row, which is for
            # verify to find, not for the index to hide.
            sql.SQL(
                "CREATE OR REPLACE FUNCTION {}(state bytea) RETURNS text LANGUAGE plpgsql "
                "IMMUTABLE PARALLEL SAFE AS $$ BEGIN RETURN convert_from(state, 'UTF8')"
                "::jsonb ->> 'command_id'; EXCEPTION WHEN others THEN RETURN NULL; END $$"
            ).format(function),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} (originator_id, {}(state)) "
                "WHERE {}(state) IS NOT NULL"
            ).format(
                sql.Identifier(COMMAND_ID_INDEX),
                sql.Identifier(schema, self.events_table_name),
                function,
                function,
            ),
        ]
        try:
            with datastore.transaction(commit=True) as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"casehistory setup {schema}",),
                )
                if self._has_command_index(cursor):
                    return True
                for statement in statements:
                    cursor.execute(statement, prepare=False)
        except (ProgrammingError, DatabaseError, OperationalError) as error:
            _LOG.info("command ids of %s are not indexed: %s", schema, error)
            return False
        return True

    def _has_command_index(self, cursor: Any = None) -> bool:
        query = "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s"
        params = (self.datastore.schema, COMMAND_ID_INDEX)
        if cursor is not None:
            cursor.execute(query, params)
            return cursor.fetchone() is not None
        with self.datastore.transaction(commit=False) as reading:
            reading.execute(query, params)
            return reading.fetchone() is not None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # eventsourcing's own, without conn.pipeline(): see the module's docstring.
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as cursor,
        ):
            self._insert_events(cursor, stored_events, **kwargs)
            if not stored_events:
                return None
            self._insert_stored_events(cursor, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)


class _SnapshotRecorder(_SetUpOnce, PostgresAggregateRecorder):
    pass


class Factory(PostgresFactory):
    """eventsourcing's PostgreSQL factory with the desk's recorders and timeouts."""

    application_recorder_class = _EventRecorder
    aggregate_recorder_class = _SnapshotRecorder

    def __init__(self, env: EnvType | Any) -> None:
        super().__init__(env)
        datastore = self.datastore
        statement = int(self.env.get(STATEMENT_TIMEOUT) or "30")
        # Sent with the connection request: every session, and every reconnection of
        # the pool, has them before its first statement.
        kwargs = datastore.pool.kwargs
        assert isinstance(kwargs, dict)  # eventsourcing passes a dict
        kwargs["options"] = (
            f"-c statement_timeout={statement}s -c lock_timeout={datastore.lock_timeout}s"
        )
        # eventsourcing makes its PostgresDatastore itself; the subclass adds one
        # method and no state, so the object it made becomes one.
        datastore.__class__ = _Datastore


def check_read_only_store(datastore: Any, where: str) -> None:
    """Check, with this login, that the schema holds the desk's tables and that the login
    may read them (a read-only desk made no table), else :class:`StoreNotFound` or
    :class:`StoreUnavailable`."""
    schema = datastore.schema
    # pg_catalog, not information_schema: it shows tables this login may not read,
    # so a missing GRANT is reported as such rather than as missing tables.
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT has_schema_privilege(oid, 'USAGE') AS usage FROM pg_namespace "
            "WHERE nspname = %s",
            (schema,),
        )
        found = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname AS table_name, a.attname AS column_name, "
            "has_table_privilege(c.oid, 'SELECT') AS readable "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s) "
            "ORDER BY c.relname, a.attnum",
            (schema, [*_TABLES, *_LATER_TABLES]),
        )
        rows = cursor.fetchall()
    if found is None:
        raise StoreNotFound(
            f"no store at {where}: there is no schema {schema!r}; check ?schema= in the URL"
        )
    if not found["usage"]:
        raise StoreUnavailable(
            f"cannot open the store {where}: this login may not use schema {schema!r}; "
            f"grant it USAGE ON SCHEMA {schema} (docs/operations.md, read-only access)"
        )
    columns: dict[str, list[str]] = {}
    readable: dict[str, bool] = {}
    for row in rows:
        columns.setdefault(row["table_name"], []).append(row["column_name"])
        readable[row["table_name"]] = row["readable"]
    for table in _LATER_TABLES:
        if table in readable and not readable[table]:
            raise StoreUnavailable(
                f"cannot open the store {where}: this login may not read {schema}.{table}; "
                "grant it SELECT on the desk's tables (docs/operations.md, read-only access)"
            )
    for table, expected in _TABLES.items():
        if table not in columns:
            raise StoreNotFound(
                f"no store at {where}: schema {schema!r} has no table {table}, and a "
                "read-only desk never creates one; check ?schema= in the URL"
            )
        if tuple(columns[table]) != expected:
            raise NotACaseStore(
                f"{where} schema {schema!r} is not a casehistory store: table {table} has "
                f"the columns ({', '.join(columns[table])}), not the ones a desk makes; "
                "check ?schema= in the URL"
            )
        if not readable[table]:
            raise StoreUnavailable(
                f"cannot open the store {where}: this login may not read {schema}.{table}; "
                "grant it SELECT on the desk's tables (docs/operations.md, read-only access)"
            )
