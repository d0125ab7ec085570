"""The catalog rebuilt case by case: how a catalog at position 0 (new, reset by
``rebuild``, or left by a crashed rebuild) is filled.

Applying the log in its own order touches the same case in many batches once cases
interleave (a row, its money and an upsert per case and batch). From position 0 the
projection reads the log once in case order instead (``ORDER BY originator_id,
originator_version``, only events up to the head read at the start), folds each case
with the domain's :func:`~casehistory.domain.state.evolve`, and writes its row, money,
ledger entries and search row once, :data:`CASES` cases per transaction; the position
moves from 0 to that head in the last transaction. The rows are the very ones the
projection's own batches write (the same fold, the same row functions).

While it runs, the position stays 0: a reader is told the catalog is behind by the
whole log (``behind`` = the head), as before a catalog's first catch-up, and a query
may meanwhile list the cases rebuilt so far (each whole, as of the rebuild's head). A
crash leaves the position at 0, so the next rebuild (or catch-up) starts again.

**A claim** keeps two writers from mixing their rows: the rebuild's first transaction
(at position 0 only) deletes whatever rows the catalog holds (a catalog at 0 holds no
event: they are the leftovers of a rebuild that stopped) and writes a row
``catalog rebuild <token>`` into ``catalog_position``, whose position is the time of
its last transaction (milliseconds since the epoch). Each transaction of the rebuild
(every :data:`CASES` cases or :data:`EVENTS` events) first locks the position's row,
as every writer does, then renews its claim, and stops
(:class:`~casehistory.catalog._projection.Moved`) if it is gone. Another catch-up at
position 0, and a follower, wait for a claim renewed less than :data:`STALE_MS` ago
(they apply nothing and answer as behind) and take over an older one; ``reset`` (a
rebuild) and ``Catalog.wait`` (read your writes) take over at once, deleting the claim
and the rows with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from casehistory._sql import reading
from casehistory.catalog._db import Runner
from casehistory.catalog._decode import decoder
from casehistory.catalog._parallel import Batch, Folder, Span, folded_parts
from casehistory.catalog._schema import (
    CASE_COLUMNS,
    LEDGER_ENTRY_COLUMNS,
    MONEY_COLUMNS,
    SEARCH_EMPTIED,
    SEARCH_INSERT,
    index_ddl,
    index_names,
    insert,
)
from casehistory.domain.events import CaseEvent
from casehistory.errors import StoreUnavailable

if TYPE_CHECKING:
    from casehistory.catalog._projection import Projection

__all__ = [
    "CASES",
    "CLAIM",
    "EVENTS",
    "READ",
    "STALE_MS",
    "claimed",
    "rebuild_by_case",
    "drop_indexes",
    "restore_indexes",
    "take_over",
]

CASES = 500
"""Cases written per transaction."""

EVENTS = 25_000
"""Events folded per transaction at most (a transaction renews the claim: a log of
long cases must not let it go stale, a second or so of folding each)."""

READ = 5_000
"""Rows of the log read per query."""

CLAIM = "catalog rebuild "
"""The start of a rebuild's claim row in ``catalog_position`` (its token follows)."""

STALE_MS = 60_000
"""A claim not renewed for this long is taken to be a rebuild that stopped."""

TABLES = ("catalog_cases", "catalog_money", "catalog_ledger")

Events = list[tuple[int, CaseEvent]]


def _now_ms(run: Runner) -> str:
    """SQL for the database's own time, in milliseconds since the epoch: a claim is
    stamped and judged by one clock, whichever host each rebuild runs on."""
    if run.sqlite:
        return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"


def claimed(run: Runner) -> bool:
    """Whether another rebuild holds a live claim (renewed less than STALE_MS ago)."""
    found = run(
        "SELECT count(*) FROM {p}catalog_position WHERE name LIKE ? AND position > "
        + _now_ms(run)
        + " - ?",
        [CLAIM + "%", STALE_MS],
    )
    return bool(found[0][0])


def take_over(run: Runner, sqlite: bool) -> None:
    """Delete every claim and every row (the catalog at 0 holds no event): in the
    transaction of a writer that starts the catalog at position 0, after it locked the
    position's row. Always, not only when a claim is found: rows may outlive their
    claim (a rebuild's transaction that committed after a reset had read the tables)."""
    run("DELETE FROM {p}catalog_position WHERE name LIKE ?", [CLAIM + "%"])
    _empty(run, sqlite)


def drop_indexes(run: Runner, sqlite: bool) -> bool:
    """Drop the catalog's secondary indexes for a rebuild (built once at its end, not
    kept up row by row: a third of a large rebuild's time); whether they were. Not
    when the login may not (PostgreSQL: only the tables' owner may): the rebuild
    then keeps them up as it goes."""
    return _savepoint(run, [f"DROP INDEX IF EXISTS {{p}}{name}" for name in index_names(sqlite)])


def restore_indexes(run: Runner, sqlite: bool, schema: str | None) -> bool:
    """Create whichever secondary index is missing (a rebuild that dropped them
    stopped, or is finishing); whether the login could. In the transaction that moves
    the catalog off position 0, so no catalog answers without its indexes."""
    return _savepoint(run, index_ddl(sqlite, schema))


def _savepoint(run: Runner, statements: list[str]) -> bool:
    """Run ``statements`` all or none (a savepoint: a refusal on PostgreSQL would
    otherwise abort the whole transaction); whether they ran."""
    run("SAVEPOINT catalog_indexes", ())
    try:
        for statement in statements:
            run(statement, ())
    except run.failures:
        run("ROLLBACK TO SAVEPOINT catalog_indexes", ())
        return False
    finally:
        run("RELEASE SAVEPOINT catalog_indexes", ())
    return True


def _empty(run: Runner, sqlite: bool) -> None:
    for table in TABLES:
        run(f"DELETE FROM {{p}}{table}", ())
    if sqlite:
        run("DELETE FROM catalog_search", ())
        run(SEARCH_EMPTIED, ())  # no deletion marks left with the deleted words


_CASES = insert("catalog_cases", CASE_COLUMNS)
_MONEY = insert("catalog_money", MONEY_COLUMNS)
_LEDGER = insert("catalog_ledger", LEDGER_ENTRY_COLUMNS)


class _Rebuild:
    def __init__(self, projection: Projection, head: int) -> None:
        from casehistory.catalog._projection import NAME, Moved

        self.projection = projection
        self.db = projection.db
        self.head = head
        self.name = NAME
        self.moved = Moved
        self.token = CLAIM + secrets.token_hex(8)

    def claim(self) -> None:
        with self.db.transaction(write=True) as run:
            # A write first: on SQLite a transaction that reads, then writes, fails at
            # once ("database is locked") when another writer came in between.
            found = run(
                "UPDATE {p}catalog_position SET position = 0 "
                "WHERE name = ? AND position = 0 RETURNING position",
                [self.name],
            )
            if not found:
                raise self.moved("the catalog is no longer at 0")
            if claimed(run):
                raise self.moved("another rebuild holds the catalog")
            run("DELETE FROM {p}catalog_position WHERE name LIKE ?", [CLAIM + "%"])
            drop_indexes(run, self.db.sqlite)  # first: rows then go without their entries
            _empty(run, self.db.sqlite)
            run(
                "INSERT INTO {p}catalog_position (name, position, schema_version) "
                "SELECT ?, " + _now_ms(run) + ", schema_version FROM {p}catalog_position "
                "WHERE name = ?",
                [self.token, self.name],
            )

    def write(self, batch: Batch, *, last: bool) -> None:
        with self.db.transaction(write=True) as run:
            # Every writer locks the position's row first (claim, reset, the batches):
            # one order of locks, so no deadlock on PostgreSQL, and a reset waits for
            # this transaction to commit before it empties the tables.
            held = run(
                "UPDATE {p}catalog_position SET position = 0 "
                "WHERE name = ? AND position = 0 RETURNING position",
                [self.name],
            )
            if not held:
                raise self.moved("the catalog is no longer at 0")
            renewed = run(
                "UPDATE {p}catalog_position SET position = " + _now_ms(run) + " "
                "WHERE name = ? RETURNING position",
                [self.token],
            )
            if not renewed:
                raise self.moved("another writer took the catalog over")
            run.many(_CASES, batch.cases)
            run.many(_MONEY, batch.money)
            run.many(_LEDGER, batch.ledger)
            if self.db.sqlite:
                run.many(SEARCH_INSERT, batch.search)
            if last:
                restore_indexes(run, self.db.sqlite, self.db.schema)
                moved = run(
                    "UPDATE {p}catalog_position SET position = ? "
                    "WHERE name = ? AND position = 0 RETURNING position",
                    [self.head, self.name],
                )
                if not moved:
                    raise self.moved("the catalog is no longer at 0")
                run("DELETE FROM {p}catalog_position WHERE name = ?", [self.token])


def rebuild_by_case(projection: Projection, head: int) -> int:
    """Fill the catalog at position 0 with the log up to ``head``, case by case (see
    the module's doc); returns the events applied. Raises ``Moved`` when the catalog
    is not at 0, another rebuild holds it, or another writer took it over."""
    rebuild = _Rebuild(projection, head)
    rebuild.claim()
    folder = Folder(projection.db.sqlite, projection._policy)
    batch = Batch()
    applied = 0
    erased = 0
    for part in folded_parts(projection._desk, head, folder, (CASES, EVENTS), by_case):
        batch.extend(part)
        applied += part.events
        if len(batch.cases) >= CASES or batch.events >= EVENTS:
            erased += batch.erased
            rebuild.write(batch, last=False)
            batch = Batch()
    erased += batch.erased
    rebuild.write(batch, last=True)
    if erased:
        # The catalog it replaced may have held a forgotten customer's texts: no copy
        # of them left in the WAL (SQLite) or in old row versions (PostgreSQL).
        projection.db.scrub()
    return applied


def by_case(desk: Any, head: int, span: Span | None = None) -> Iterator[tuple[UUID, Events]]:
    """Each case's events with their notification ids, up to ``head``, case after case
    (only the cases whose stored ids fall in ``span``, if given)."""
    decode = decoder(desk._mapper)
    rows = _rows(desk._recorder, head, span)
    case: Any = None
    case_id = UUID(int=0)
    events: Events = []
    for raw_id, version, topic, state, notification_id in rows:
        if raw_id != case:
            if events:
                yield case_id, events
            case, events = raw_id, []
            case_id = raw_id if isinstance(raw_id, UUID) else UUID(raw_id)  # once a case
        events.append((notification_id, decode(case_id, version, topic, bytes(state))))
    if events:
        yield case_id, events


_QUERY = (
    "SELECT originator_id, originator_version, topic, state, {order} FROM {table} "
    "WHERE {order} <= ?"
)
_FROM = " AND originator_id >= ?"
_TO = " AND originator_id < ?"
_ORDER = " ORDER BY originator_id, originator_version LIMIT ?"
_AFTER = " AND (originator_id, originator_version) > (?, ?)"


def _rows(recorder: Any, head: int, span: Span | None = None) -> Iterator[tuple[Any, ...]]:
    """The log's rows up to ``head`` in case order (of the cases in ``span``, if
    given), READ rows per query (each query in a read transaction of its own, so none
    holds the store for the whole rebuild)."""
    low, high = span or (None, None)
    query = _QUERY + (_FROM if low is not None else "") + (_TO if high is not None else "")
    bounds = [bound for bound in (low, high) if bound is not None]
    after: tuple[Any, Any] | None = None
    while True:
        with reading(recorder) as reader:
            if reader is None:
                yield from _rows_in_memory(recorder, head)
                return
            if after is None:
                page = reader.rows(query + _ORDER, head, *bounds, READ)
            else:
                page = reader.rows(query + _AFTER + _ORDER, head, *bounds, *after, READ)
        yield from page
        if len(page) < READ:
            return
        after = (page[-1][0], page[-1][1])


def _rows_in_memory(recorder: Any, head: int) -> Iterator[tuple[Any, ...]]:
    """The in-process store has no SQL: its notifications up to ``head``, grouped by
    case (it holds them all in memory already)."""
    by_case: dict[UUID, list[Any]] = {}
    position = 0
    while position < head:
        try:
            page = recorder.select_notifications(
                start=position, limit=READ, stop=head, inclusive_of_start=False
            )
        except Exception as error:
            raise StoreUnavailable(f"cannot read the store's log: {error}") from None
        if not page:
            break
        for notification in page:
            by_case.setdefault(notification.originator_id, []).append(notification)
        position = page[-1].id
    for case_id in sorted(by_case):
        for n in by_case[case_id]:
            yield case_id, n.originator_version, n.topic, n.state, n.id
