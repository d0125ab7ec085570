"""eventsourcing's half of a desk (:class:`_Store`), private to the desk."""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import InfrastructureFactory, InterfaceError, JSONTranscoder, Mapper
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
)
from eventsourcing.utils import Environment, EnvType

from casehistory.desk._mapper import CaseMapper
from casehistory.domain.case import Case
from casehistory.errors import StoreIsReadOnly
from casehistory.store import READ_ONLY, register_value_transcodings

__all__ = ["_Store"]


class _Store(Application[UUID]):
    """eventsourcing's half of a desk: the recorders, the snapshots table, the log.

    Private on purpose: an :class:`~eventsourcing.application.Application` offers
    ``save()``, a ``repository`` and an ``events`` store that write whatever events
    they are given. A desk holds one and offers none of them, so the only public way
    to write an event is a command, which checks every rule first (docs/auditing.md).
    """

    name = "CaseDesk"

    def __init__(self, env: EnvType | None = None) -> None:
        try:
            super().__init__(env)
        except BaseException:
            # Half built: a factory whose pool (and, on PostgreSQL, its threads) nobody
            # would close; its finaliser failed later in an unrelated place.
            factory = self.__dict__.get("factory")
            if factory is not None:
                factory.close()
            raise

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what open() was given: a stray CASEDESK_* variable in os.environ must
        # never point a desk (or a test) at another store.
        settings = dict(type(self).env)
        settings["IS_SNAPSHOTTING_ENABLED"] = "y"
        settings.update(env or {})
        return Environment(name, settings)

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)
        if isinstance(datastore, SQLiteDatastore) and type(datastore.pool) is SQLiteConnectionPool:
            datastore.pool.__class__ = _StatementCachingPool  # before its first connection
        return factory

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=CaseMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    def require_writable(self) -> None:
        """Refuse a command on a desk opened read-only, before it checks anything."""
        read_only = self.__dict__.get("_read_only")
        if read_only is None:  # the settings do not change: looked up once (per command)
            read_only = self.__dict__["_read_only"] = bool(self.env.get(READ_ONLY))
        if read_only:
            raise StoreIsReadOnly(
                "this desk was opened read-only (CaseDesk.open(..., read_only=True)) and "
                "records nothing; open the store without read_only to record"
            )

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        # Every command ends here; a read-only desk refused it already (defence in depth).
        self.require_writable()
        if len(objs) != 1 or type(objs[0]) is not Case or kwargs:
            return super().save(*objs, **kwargs)
        # One case, as every command saves: what Application.save does, without the two
        # runtime Protocol checks its collect_events makes of each object (a tenth of
        # a cached command's time outside the commit).
        case: Case = objs[0]
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.events.extend(case.collect_events())
        processing_event.aggregates[case.id] = case
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in eventsourcing, called alike
        return recordings


class _StatementCachingPool(SQLiteConnectionPool):
    """eventsourcing's pool of SQLite connections, each keeping 128 prepared statements.

    eventsourcing 9.5 opens its connections with ``cached_statements=True``, a cache of
    one statement, so every command prepared its SQL again (a BEGIN, the statements of
    a load, an INSERT whose table has an index on an expression): about a tenth of a
    command on one cached case. The connection is otherwise made exactly as
    eventsourcing makes it (``SQLiteConnectionPool._create_connection``)."""

    def _create_connection(self) -> SQLiteConnection:
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # autocommit: eventsourcing issues BEGIN itself
                cached_statements=128,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode;")
            if cursor.fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL;")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)
