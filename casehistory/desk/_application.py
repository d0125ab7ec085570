"""eventsourcing's half of a desk (:class:`_Store`), private to the desk."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    InternalError,
    JSONTranscoder,
    Mapper,
    Notification,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    Recording,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteConnectionPool,
    SQLiteDatastore,
)
from eventsourcing.utils import Environment, EnvType

from casehistory.desk._connections import StatementCachingPool
from casehistory.desk._mapper import CaseMapper
from casehistory.domain.case import Case
from casehistory.errors import StoreIsReadOnly
from casehistory.store import READ_ONLY, register_value_transcodings

__all__ = ["SNAPSHOTS_DUE", "SNAPSHOTS_WRITTEN", "_Store"]

SNAPSHOTS_DUE = "snapshots_due"
"""Where a case holds the snapshots its command took (``Case._record``), to be written
once its events are."""
SNAPSHOTS_WRITTEN = "snapshots_written"
"""Where :meth:`_Store.save` leaves ``(snapshots, rows)`` when it wrote the snapshots due
in the events' own transaction (``rows`` None: the snapshots could not be written, the
events are recorded); absent, the desk writes them itself (``DeskBase._snapshot``)."""


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
            pool = cast(StatementCachingPool, datastore.pool)
            pool.__class__ = StatementCachingPool  # before its first connection
            pool.set_memory_mode()
            # The gate every get_connection passes (one thread at a time): a Semaphore(1)
            # in eventsourcing, a Lock here, which gates alike (acquire with a timeout,
            # release) at a third of its cost: a command passes it twice.
            pool._get_semaphore = threading.Lock()  # type: ignore[assignment]
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
        events = case.collect_events()
        writer = self.__dict__.get("_writer", False)
        if writer is False:  # the store does not change: looked up once
            writer = self.__dict__["_writer"] = _SQLiteWriter.of(self)
        processing_event: ProcessingEvent[UUID] | None = None
        if writer is None or not writer.usable(self.events):
            processing_event = _processing(case, events)
            recordings = self._record(processing_event)
        else:
            due = case.__dict__.get(SNAPSHOTS_DUE)
            rows = writer.snapshot_rows(due, self.snapshots) if due else None
            recordings, written = writer.put(events, rows)
            if rows is not None:
                # Written (or not) in the events' transaction: the desk only notes it.
                case.__dict__[SNAPSHOTS_WRITTEN] = (case.__dict__.pop(SNAPSHOTS_DUE), written)
            if self.repository.cache and not self.repository.fastforward:
                self.repository.cache.put(case.id, case)  # as Application._record does
        if self.snapshots and self.snapshotting_intervals:  # what it asks first (none, here)
            self._take_snapshots(processing_event or _processing(case, events))
        self._notify(recordings)
        self.notify(list(events))  # deprecated in eventsourcing, called alike
        return recordings


def _processing(case: Case, events: Sequence[Any]) -> ProcessingEvent[UUID]:
    """What ``Application.save`` collects of one case: its events, and the case."""
    processing_event: ProcessingEvent[UUID] = ProcessingEvent()
    processing_event.events.extend(events)
    processing_event.aggregates[case.id] = case
    return processing_event


_ERRORS: tuple[tuple[type[sqlite3.Error], type[PersistenceError]], ...] = (
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.DataError, DataError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.ProgrammingError, ProgrammingError),
    (sqlite3.NotSupportedError, NotSupportedError),
    (sqlite3.DatabaseError, DatabaseError),
)
"""sqlite3's errors as eventsourcing's ``SQLiteTransaction`` raises them (in its order)."""


_CLASHES = frozenset({"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"})
"""The constraint failures that are a clash of rows: a version (the primary key) or a
command id (its unique index) already stored."""


def persistence_error(error: sqlite3.Error) -> PersistenceError:
    """``error`` as eventsourcing's SQLite transaction raises it (an IntegrityError, a
    version clash, stays an IntegrityError: the desk's ConcurrentUpdate). Any other
    constraint failure (a trigger's ``RAISE``, a CHECK, NOT NULL: a store that refuses
    the write, not another writer first) is an OperationalError: StoreUnavailable."""
    if isinstance(error, sqlite3.IntegrityError) and (
        getattr(error, "sqlite_errorname", None) not in _CLASHES
    ):
        return OperationalError(error)
    for found, raised in _ERRORS:
        if isinstance(error, found):
            return raised(error)
    return PersistenceError(error)


class _SQLiteWriter:
    """What ``EventStore.put`` does on a SQLite file, in fewer layers: encode the events,
    then on a connection the pool gives for writing (its writer lock held, as for any
    eventsourcing write) ``BEGIN``, one ``INSERT`` each, ``COMMIT``, and the recordings
    with their notification ids (the rowids).

    Its semantics are eventsourcing's (``SQLiteApplicationRecorder.insert_events``): the
    same statement, so a version already stored fails on the table's primary key
    ``(originator_id, originator_version)`` as an eventsourcing ``IntegrityError`` and
    nothing of the transaction stays; sqlite3's other errors become eventsourcing's as
    its transaction maps them. It skips eventsourcing's four context managers and two
    cursor wrappers around the one transaction (a tenth of a cached command's Python).
    Used only for the exact classes it copies (:meth:`of`); anything else (PostgreSQL,
    the in-process store, a subclass) goes through ``Application._record``."""

    __slots__ = ("_mapper", "_pool", "_recorder", "_statement")

    def __init__(self, mapper: Mapper[UUID], recorder: SQLiteApplicationRecorder):
        self._mapper = mapper
        self._recorder = recorder
        self._pool = recorder.datastore.pool
        self._statement = recorder.insert_events_statement

    def snapshot_rows(
        self, due: list[Any], snapshots: EventStore[UUID] | None
    ) -> tuple[str, list[StoredEvent]] | None:
        """The insert statement and rows of the snapshots ``due``, to be written in the
        events' own transaction (one commit, one fsync, instead of two every
        ``SNAPSHOT_INTERVAL`` commands), or None: leave them to the desk, which writes
        them after the events as before. None unless the snapshots go to the same file
        through eventsourcing's own code, unreplaced (as :meth:`usable` asks of the
        events): a test that makes snapshot writes fail replaces it, and meets the
        desk's path."""
        if snapshots is None or type(snapshots) is not EventStore or "put" in vars(snapshots):
            return None
        recorder = snapshots.recorder
        if (
            type(recorder) is not SQLiteAggregateRecorder
            or recorder.datastore is not self._recorder.datastore
            or "insert_events" in vars(recorder)
            or "_insert_events" in vars(recorder)
            or SQLiteAggregateRecorder.insert_events is not _INSERT_SNAPSHOTS
            or SQLiteAggregateRecorder._insert_events is not _INSERT_SNAPSHOT_ROWS
        ):
            return None
        try:
            rows = [snapshots.mapper.to_stored_event(snapshot) for snapshot in due]
        except Exception:  # the desk's path encodes them again and meets the error
            return None
        return recorder.insert_events_statement, rows

    def usable(self, events: EventStore[UUID]) -> bool:
        """Whether the store still writes as eventsourcing's own code does: nobody
        replaced ``EventStore.put`` or the recorder's ``insert_events`` (a benchmark that
        counts transactions, a test that makes writes fail), on the class or the object.
        If so, the write goes through them instead."""
        recorder = self._recorder
        return (
            type(recorder).insert_events is _INSERT_EVENTS
            and type(recorder)._insert_events is _INSERT_ROWS
            and EventStore.put is _PUT
            and "insert_events" not in recorder.__dict__
            and "_insert_events" not in recorder.__dict__
            and "put" not in events.__dict__
        )

    @classmethod
    def of(cls, store: Application[UUID]) -> _SQLiteWriter | None:
        recorder = store.recorder
        if type(store.events) is not EventStore or type(recorder) is not SQLiteApplicationRecorder:
            return None
        if type(recorder.datastore.pool) is not StatementCachingPool:
            return None
        return cls(store.mapper, recorder)

    def put(
        self, events: list[Any], snapshots: tuple[str, list[StoredEvent]] | None = None
    ) -> tuple[list[Recording[UUID]], list[StoredEvent] | None]:
        """Record ``events`` (and ``snapshots``: see :meth:`snapshot_rows`) in one
        transaction; their recordings, and the snapshot rows written (None when
        writing them failed: the events are recorded all the same)."""
        to_stored_event = self._mapper.to_stored_event
        stored: list[StoredEvent] = [to_stored_event(event) for event in events]
        pool = self._pool
        connection = pool.get_connection(is_writer=True)
        try:
            ids, written = _insert(connection._sqlite_conn, self._statement, stored, snapshots)
        finally:
            pool.put_connection(connection)
        return [
            Recording(
                event,
                Notification(
                    originator_id=row.originator_id,
                    originator_version=row.originator_version,
                    topic=row.topic,
                    state=row.state,
                    id=notification_id,
                ),
            )
            for event, row, notification_id in zip(events, stored, ids, strict=True)
        ], written


_INSERT_EVENTS = SQLiteApplicationRecorder.insert_events
_INSERT_ROWS = SQLiteApplicationRecorder._insert_events
_PUT = EventStore.put
_INSERT_SNAPSHOTS = SQLiteAggregateRecorder.insert_events
_INSERT_SNAPSHOT_ROWS = SQLiteAggregateRecorder._insert_events


def _params(row: StoredEvent) -> tuple[Any, ...]:
    originator_id = row.originator_id
    return (
        originator_id.hex if isinstance(originator_id, UUID) else originator_id,
        row.originator_version,
        row.topic,
        row.state,
    )


def _insert(
    db: sqlite3.Connection,
    statement: str,
    rows: list[StoredEvent],
    snapshots: tuple[str, list[StoredEvent]] | None = None,
) -> tuple[list[int], list[StoredEvent] | None]:
    """Insert ``rows`` in one transaction on ``db`` (autocommit mode: the BEGIN is
    ours), and ``snapshots`` after them in a savepoint of the same transaction; the
    events' rowids, and the snapshot rows written (None: their insert failed and was
    rolled back to the savepoint, the events stay). Any other failure rolls the whole
    transaction back.

    A lone row too is inserted between BEGIN and COMMIT, never as a statement in
    autocommit mode, two statements fewer: a statement that fails with SQLite's FAIL
    resolution (a trigger's ``RAISE(FAIL)``, say) keeps what it did, and in autocommit
    mode that is committed, so the desk would report a command failed that is stored
    (tests/integration/test_review_session23.py)."""
    written: list[StoredEvent] | None = None
    try:
        db.execute("BEGIN")
        ids = []
        for row in rows:
            cursor = db.execute(statement, _params(row))
            if cursor.rowcount != 1:
                # A trigger's RAISE(IGNORE) skips the row without an error: the command
                # must not be reported recorded.
                raise sqlite3.OperationalError(
                    f"the store did not write version {row.originator_version} "
                    "(a trigger on the events table ignored the insert)"
                )
            ids.append(cast(int, cursor.lastrowid))
        if snapshots is not None:
            # A snapshot that cannot be written costs only speed (as when the desk writes
            # it after the events): its failure is undone alone, and the events commit.
            db.execute("SAVEPOINT casedesk_snapshots")
            try:
                db.executemany(snapshots[0], [_params(row) for row in snapshots[1]])
            except sqlite3.Error:
                db.execute("ROLLBACK TO casedesk_snapshots")
            else:
                written = snapshots[1]
            db.execute("RELEASE casedesk_snapshots")
        db.commit()
    except BaseException as error:
        try:
            db.rollback()  # also after a failed COMMIT (SQLITE_BUSY leaves it open)
        except sqlite3.Error as failed:
            raise persistence_error(failed) from failed
        if isinstance(error, sqlite3.Error):
            raise persistence_error(error) from error
        raise
    return ids, written
