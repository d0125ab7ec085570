"""How a command's load folds a case, and the desk's optional cache of hot cases.

:func:`project` is the projector of every load. :class:`CaseCache` keeps the cases a
desk opened with ``cache=N`` acted on last (``CaseDesk.open``): each is fast-forwarded
from the store before every command, so a cached case is never acted on as it stood
when it was cached, whoever wrote since (another desk, another process).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, cast
from uuid import UUID

import orjson
from eventsourcing.application import Cache
from eventsourcing.domain import OriginatorIDError, OriginatorVersionError
from eventsourcing.sqlite import SQLiteDatastore

from casehistory.desk._as_of import Row
from casehistory.desk._queries import STORE_FAILURES
from casehistory.domain.case import Case
from casehistory.domain.events import CaseOpened
from casehistory.domain.state import Folding
from casehistory.errors import InvalidInput, StoreUnavailable

__all__ = [
    "MAX_CACHE",
    "CaseCache",
    "Seen",
    "cache_env",
    "project",
    "require_cache_size",
    "same_head",
]

MAX_CACHE = 1_000_000
"""The most cases a desk's cache may hold (a bound for safety only)."""


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The case after ``events``: what ``event.mutate`` gives event by event, with its
    checks (each event of this case, at the next version), at a fraction of the cost.

    A plain loop, since eventsourcing's default projector spends most of a replay on a
    runtime Protocol isinstance check per event; and one fold (:class:`Folding`) whose
    scratch state each event changes in place, made a frozen state once at the end,
    where ``mutate`` would copy the whole state at every event."""
    folding: Folding | None = None
    version = 0
    modified_on: Any = None
    for event in events:
        if aggregate is None or type(event) is CaseOpened:
            if folding is not None:  # a CaseOpened after others: mutate's own answer
                aggregate = _folded(aggregate, folding, version, modified_on)
                folding = None
            aggregate = event.mutate(aggregate)
            continue
        if folding is None:
            folding, version = Folding(aggregate.state), aggregate.version
        if event.originator_id != aggregate.id:
            raise OriginatorIDError(event.originator_id, aggregate.id)
        if event.originator_version != version + 1:
            raise OriginatorVersionError(event.originator_version, version + 1)
        folding.add(event)
        version, modified_on = event.originator_version, event.timestamp
    if folding is not None:
        aggregate = _folded(aggregate, folding, version, modified_on)
    return aggregate


def _folded(case: Any, folding: Folding, version: int, modified_on: datetime) -> Any:
    case.state = folding.state
    case.version = version
    case.modified_on = modified_on
    return case


def require_cache_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CACHE:
        raise InvalidInput(
            f"cache must be a whole number of cases from 0 to {MAX_CACHE:,}, got {value!r:.80}"
        )
    return value


def cache_env(size: int) -> dict[str, str]:
    """eventsourcing's settings of an aggregate cache of ``size`` cases (none for 0:
    eventsourcing reads ``AGGREGATE_CACHE_MAXSIZE=0`` as a cache without a bound)."""
    if not size:
        return {}
    return {
        "AGGREGATE_CACHE_MAXSIZE": str(size),
        # Read the store before every use of a cached case, and never skip that read.
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "AGGREGATE_CACHE_FASTFORWARD_SKIPPING": "n",
    }


_KEPT = ("_id", "_version", "_created_on", "_modified_on", "state")
"""What a cached case holds: the attributes a case loaded from a snapshot has. Not what
a command leaves on it (its command id, its snapshots to write, its pending events)."""


def _copy(case: Case, every: int | None) -> Case:
    """A new aggregate with ``case``'s attributes and no pending events.

    The state is shared, not copied: a :class:`CaseState` is frozen, and the fold
    replaces each field an event changes (its dicts and tuples included) rather than
    changing it in place. So a command acting on the copy, refused half-way or not,
    leaves the original exactly as it was (tests/integration/test_aggregate_cache.py)."""
    source = case.__dict__
    copied: Case = object.__new__(Case)
    target = copied.__dict__
    for name in _KEPT:
        target[name] = source[name]
    target["_pending_events"] = []
    target["commit_state_every"] = every
    return copied


class _Loads(Protocol):
    """What :meth:`CaseCache.load` asks of a desk."""

    _store: Any

    def _rows(self) -> AbstractContextManager[Any]: ...

    def _decoded(self, case_id: UUID, rows: Sequence[Row]) -> list[Any]: ...

    def _load_stored(self, case_id: UUID) -> Case: ...


Seen = tuple[Any, int] | None
"""Where and when a cached case was last known to be the store's: a SQLite connection
and its ``PRAGMA data_version`` then (None: not known, so read the store)."""


class CaseCache:
    """The cases a desk acted on last, each as it was after its last version that this
    desk read or recorded, in eventsourcing's aggregate cache (an LRU of cases).

    Entries are never handed out: :meth:`load` gives a copy. Only states the store
    holds are put: a case as loaded, or as saved once its events are recorded
    (:meth:`keep`). A command that fails or is refused puts nothing.

    Every load asks the store what changed since the entry (the fast-forward). On
    SQLite it first asks ``PRAGMA data_version`` on a pooled connection, which changes
    whenever any other connection (of any process) commits to the file: unchanged on
    the connection the entry was last known on, nothing was recorded since by anyone
    but this desk, whose own commands keep the entry, and the rows are not read. Any
    other answer reads the rows recorded since (and checks that the version cached is
    still stored). ``reads`` and ``unchanged`` count the two answers."""

    def __init__(self, cache: Cache[UUID, Any], every: int | None) -> None:
        self._cache = cache
        self._every = every
        self.reads = 0
        self.unchanged = 0

    def load(self, case_id: UUID, desk: _Loads) -> tuple[Case, Seen]:
        """The case as the store holds it now, and when that was seen: the cached case,
        fast-forwarded by the events recorded since (by this desk or any other, in one
        read), or, when it is not cached or the store no longer holds the version
        cached (a store rewound or replaced), loaded as a desk without a cache loads it."""
        entry = self._entry(case_id)
        if entry is not None:
            cached, seen = entry
            read, now = _rows_from(desk, case_id, cached.version, seen)
            if read is None:
                self.unchanged += 1
                return _copy(cached, self._every), now
            self.reads += 1
            if read and same_head(read[0], cached.version, cached.state.digest):
                if len(read) == 1:  # nothing recorded since: the entry, as seen now
                    if now is not None:
                        entry[1] = now
                    return _copy(cached, self._every), now
                case = project(_copy(cached, self._every), desk._decoded(case_id, read[1:]))
                self.keep(case, now)
                return case, now
            self.forget(case_id)
        case = desk._load_stored(case_id)
        self.keep(case, None)
        return case, None

    def _entry(self, case_id: UUID) -> list[Any] | None:
        """``[case, seen]``: a list, so that when it was seen can change in place."""
        try:
            return cast(list[Any], self._cache.get(case_id))
        except KeyError:
            return None

    def keep(self, case: Case, seen: Seen) -> list[Any]:
        """Cache a copy of ``case``, which the store holds as it is now, as seen
        (``seen``: see :meth:`load`; None when not known); the entry."""
        entry = [_copy(case, self._every), seen]
        self._cache.put(case.id, entry)
        return entry

    def confirm(self, case: Case, seen: Seen, entry: list[Any] | None = None) -> None:
        """After a command's save: the case kept as saved was current when ``seen`` was
        (the load it was decided on), so it is the store's while nothing else commits.
        ``entry``: the one :meth:`keep` made of it (not looked up again; if another
        thread replaced it meanwhile, it is out of the cache and changing it changes
        nothing)."""
        if entry is None:
            entry = self._entry(case.id)
        if entry is not None and seen is not None and entry[0].version == case.version:
            entry[1] = seen

    def writing(self, case_id: UUID) -> None:
        """Before a command's events are saved: another thread of this desk must not
        take the entry as current (its own commits do not change the connection's
        ``data_version``) until :meth:`keep` puts the case as saved."""
        entry = self._entry(case_id)
        if entry is not None:
            entry[1] = None

    def forget(self, case_id: UUID) -> None:
        with contextlib.suppress(KeyError):
            self._cache.get(case_id, evict=True)


def same_head(row: Row, version: int, digest: str | None) -> bool:
    """Whether ``row`` is the event at ``version`` with ``digest``: the store still
    holds the version a cached case was at (not a store rewound, or replaced)."""
    if row[0] != version:
        return False
    try:
        stored = orjson.loads(row[2])
    except orjson.JSONDecodeError:
        return False
    return isinstance(stored, dict) and stored.get("digest") == digest


_SINCE = (
    "SELECT originator_version, topic, state FROM {table} "
    "WHERE originator_id = ? AND originator_version >= ? ORDER BY originator_version"
)


_READING = "_casedesk_reading"
"""Where a store keeps what :func:`_rows_from` reads it with: its SQLite datastore and
the statement of a case's rows since a version (None: not a SQLite store)."""


_ASKS = "_casedesk_asks"
"""Where a pooled connection keeps the cursor :func:`_rows_from` asks its
``PRAGMA data_version`` on."""


def _rows_from(
    desk: _Loads, case_id: UUID, version: int, seen: Seen
) -> tuple[list[Row] | None, Seen]:
    """The case's rows from ``version`` on (None: nothing recorded since ``seen`` by any
    connection but the one seen on), and when they were seen.

    On SQLite, one connection from the pool: ``PRAGMA data_version`` first, then, if it
    is not as seen, one statement (a statement outside a transaction reads one state of
    the store: no BEGIN and ROLLBACK, which cost more than the query). The pragma comes
    first: a commit between the two leaves the rows newer than the version noted, which
    only costs a read next time, never the other way round. Elsewhere, as every load
    reads, and never seen."""
    store = desk._store.__dict__
    reading = store.get(_READING)
    if reading is None:  # the store's recorder does not change: looked up once
        recorder = desk._store.recorder
        datastore = getattr(recorder, "datastore", None)
        table = getattr(recorder, "events_table_name", None)
        if type(datastore) is SQLiteDatastore and isinstance(table, str):
            reading = store[_READING] = (datastore, _SINCE.format(table=table))
        else:
            reading = store[_READING] = (None, "")
    datastore, since = reading
    if datastore is None:
        with desk._rows() as rows:
            return cast(list[Row], rows.events(case_id, version, None)), None
    pool = datastore.pool
    try:
        # The pool's own get and put (what datastore.get_connection wraps), and the
        # sqlite3 connection itself rather than eventsourcing's cursor wrapper. Readers
        # are counted only where they exclude a writer (an in-memory store); a file's
        # pool counts them for nothing, and a load would pay for it twice.
        connection = pool.get_connection(is_writer=False if pool.is_sqlite_memory_mode else None)
        try:
            db = connection._sqlite_conn
            asks = connection.__dict__.get(_ASKS)
            if asks is None or asks.connection is not db:
                # A cursor of the connection's own, kept with it, that gives plain
                # tuples: no cursor made and no sqlite3.Row per load.
                asks = connection.__dict__[_ASKS] = db.cursor()
                asks.row_factory = None
            now = (connection, int(asks.execute("PRAGMA data_version").fetchone()[0]))
            if seen is not None and seen[0] is now[0] and seen[1] == now[1]:
                return None, now
            found = db.execute(since, (case_id.hex, version)).fetchall()
        finally:
            pool.put_connection(connection)
    except STORE_FAILURES as error:
        raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None
    return [(row[0], row[1], bytes(row[2])) for row in found], now
