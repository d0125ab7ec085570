"""The projection that keeps the catalog: the notification log, read in order from
the catalog's position, folded case by case with the domain's own fold, and written
with the new position in one transaction.

Exactly once: a batch's rows and its position commit together, and the position moves
only from the value the batch was read from (compare and set). A crash loses a whole
batch or none of it, and the next run starts where the committed position says; two
followers (or a follower and a desk catching up for itself) never both apply a batch:
the second one's compare fails, its transaction rolls back, and it reads on from the
new position."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from casehistory.catalog._db import Database, Runner, row_converter
from casehistory.catalog._parallel import sla_policy
from casehistory.catalog._rebuild import claimed, rebuild_by_case, restore_indexes, take_over
from casehistory.catalog._rows import CaseRow, LedgerEntry, MoneyRow, folded, money_rows
from casehistory.catalog._rows import row_of as _row_of
from casehistory.catalog._schema import (
    CASE_COLUMNS,
    CASE_VALUES,
    LEDGER_ENTRY_COLUMNS,
    LEDGER_VALUES,
    MONEY_COLUMNS,
    MONEY_VALUES,
    SCHEMA_VERSION,
    SEARCH_DELETE,
    SEARCH_INSERT,
    SEARCH_MERGE,
    TABLES,
    ddl,
    insert,
)
from casehistory.domain.events import CaseEvent, CustomerForgotten
from casehistory.domain.sla import SlaPolicy
from casehistory.domain.state import CaseState, fold
from casehistory.errors import StoreUnavailable

__all__ = ["BATCH", "FAR", "Moved", "Projection"]

BATCH = 500
"""Notifications read and written per transaction."""

FAR = 5_000
"""Notifications per transaction while the catalog is more than this behind: a case
met in a batch is written once a batch, so fewer, larger batches write fewer rows."""

NAME = "catalog"


class Moved(Exception):
    """The catalog's position moved while a batch was being folded (another follower
    applied it): the batch was rolled back, and is read again from the new position."""


@attrs.define
class _Case:
    version: int
    state: CaseState
    recorded_at: datetime


@attrs.frozen
class _Batch:
    rows: list[CaseRow]
    money: dict[UUID, list[MoneyRow]]
    entries: list[LedgerEntry]
    opened: list[CaseRow]
    erased: list[CaseRow] = attrs.Factory(list)
    """The rows of cases whose customer was forgotten in this batch."""


class Projection:
    """Folds the log into the catalog's tables for one desk (see the module's doc)."""

    def __init__(self, desk: Any, database: Database, *, cache: int = 20_000) -> None:
        self._desk = desk
        self.db = database
        self._cases: OrderedDict[UUID, _Case] = OrderedDict()
        self._cache = cache

    # The position -----------------------------------------------------------------

    def create(self) -> None:
        """Create the tables (where missing) and the position row (at 0)."""
        if self.position() is not None:
            if self.schema_version() == SCHEMA_VERSION:
                return  # no DDL on a catalog that exists (a login may lack the right to it)
            self._drop()  # another layout: built again from the log
        with self.db.transaction(write=True) as run:
            if not self.db.sqlite:
                # Desks and followers opening at once: PostgreSQL's CREATE ... IF NOT
                # EXISTS races on its catalog; one creates, the others wait and see it.
                run("SELECT pg_advisory_xact_lock(hashtext('casehistory catalog'))", ())
            for statement in ddl(self.db.sqlite, self.db.schema):
                run(statement, ())
            found = run("SELECT schema_version FROM {p}catalog_position WHERE name = ?", [NAME])
            if not found:
                run(
                    "INSERT INTO {p}catalog_position (name, position, schema_version) "
                    "VALUES (?, 0, ?)",
                    [NAME, SCHEMA_VERSION],
                )

    def schema_version(self) -> int | None:
        """The layout of the stored catalog (None: no catalog)."""
        try:
            with self.db.transaction(write=False) as run:
                found = run("SELECT schema_version FROM {p}catalog_position WHERE name = ?", [NAME])
        except StoreUnavailable:
            return None
        return int(found[0][0]) if found else None

    def _drop(self) -> None:
        with self.db.transaction(write=True) as run:
            for table in TABLES:
                run(f"DROP TABLE IF EXISTS {{p}}{table}", ())
            if self.db.sqlite:
                run("DROP TABLE IF EXISTS catalog_search", ())
        self._cases.clear()

    def position(self) -> int | None:
        """The notification id of the last event the catalog holds (0: none); None when
        the store has no catalog."""
        try:
            with self.db.transaction(write=False) as run:
                found = run("SELECT position FROM {p}catalog_position WHERE name = ?", [NAME])
        except StoreUnavailable:
            return None  # no such table: the store has no catalog yet
        return int(found[0][0]) if found else None

    def head(self) -> int:
        """The notification id of the log's last event (0: an empty log)."""
        try:
            return int(self._desk._recorder.max_notification_id() or 0)
        except Exception as error:  # the store's own failure, whichever the driver
            raise StoreUnavailable(f"cannot read the store's log: {error}") from None

    # Folding ----------------------------------------------------------------------

    def catch_up(
        self, *, until: int | None = None, batch: int | None = None, overtake: bool = False
    ) -> int:
        """Apply the log from the catalog's position up to ``until``: :meth:`_catch_up`,
        with the keys of the texts it shows read once for the pass."""
        with self._desk._keys.batch():
            return self._catch_up(until=until, batch=batch, overtake=overtake)

    def _catch_up(
        self, *, until: int | None = None, batch: int | None = None, overtake: bool = False
    ) -> int:
        """Apply the log from the catalog's position up to ``until`` (None: the head
        when this call started, so a steady stream of writers cannot keep it busy for
        ever), ``batch`` events per transaction (default :data:`BATCH`, :data:`FAR`
        while more than that behind). Returns the events applied.

        From position 0 with neither given (a new or reset catalog), the log is read
        case by case instead (casehistory.catalog._rebuild); while another rebuild
        holds the catalog, this applies nothing (its caller answers as behind), unless
        ``overtake``: then it applies the log in its order, and the rebuild, finding its
        claim gone, goes on from where this stops."""
        target = self.head() if until is None else until
        by_case = until is None and batch is None
        applied = 0
        while True:
            position = self.position() or 0
            if position >= target:
                return applied
            if position == 0:
                if not overtake and self._rebuilding():
                    return applied
                if by_case:
                    by_case = False  # once: if it is taken over, go on as the others do
                    try:
                        return applied + rebuild_by_case(self, target)
                    except Moved:
                        self._cases.clear()
                        continue
            size = batch or (FAR if target - position > FAR else BATCH)
            notifications = self._read(position, min(size, target - position))
            if not notifications:
                return applied
            try:
                self._apply(position, notifications)
            except Moved:
                self._cases.clear()
                continue
            applied += len(notifications)

    def _rebuilding(self) -> bool:
        """Whether a rebuild by case holds the catalog (a live claim)."""
        with self.db.transaction(write=False) as run:
            return claimed(run)

    def _read(self, position: int, limit: int) -> Sequence[Any]:
        try:
            return list(
                self._desk._recorder.select_notifications(
                    start=position, limit=limit, inclusive_of_start=False
                )
            )
        except Exception as error:
            raise StoreUnavailable(f"cannot read the store's log: {error}") from None

    def _apply(self, position: int, notifications: Sequence[Any]) -> None:
        mapper = self._desk._mapper
        by_case: dict[UUID, list[tuple[int, CaseEvent]]] = {}
        for notification in notifications:
            event = mapper.to_domain_event(notification)
            by_case.setdefault(event.originator_id, []).append((notification.id, event))
        batch = _Batch([], {}, [], [])
        for case_id, events in by_case.items():
            self._fold(case_id, events, batch)
        self._write(position, notifications[-1].id, batch)
        if batch.erased:
            self.db.scrub()

    def _fold(self, case_id: UUID, events: list[tuple[int, CaseEvent]], batch: _Batch) -> None:
        first = events[0][1].originator_version
        known = self._cases.pop(case_id, None)
        if known is None or known.version != first - 1:
            known = self._start(case_id, first)
        state, entries = folded(known.state if known else None, (e for _, e in events))
        batch.entries.extend(entries)
        last_id, last = events[-1]
        self._cases[case_id] = _Case(last.originator_version, state, last.timestamp)
        while len(self._cases) > self._cache:
            self._cases.popitem(last=False)
        row = _row_of(state, last.originator_version, last_id, last.timestamp, self._policy(state))
        batch.rows.append(row)
        batch.money[case_id] = list(money_rows(state))
        if first == 1:
            batch.opened.append(row)
        if any(type(event) is CustomerForgotten for _, event in events):
            batch.erased.append(row)

    def _policy(self, state: CaseState) -> SlaPolicy | None:
        return sla_policy(self._desk.policies, state)

    def _start(self, case_id: UUID, first: int) -> _Case | None:
        """The case just before version ``first``, read through the desk (from a
        snapshot that checks out against the chain, and the events after it)."""
        if first == 1:
            return None
        loaded = self._desk._loaded(case_id, first - 1)
        start = loaded.last
        events = loaded.events
        state = fold(events, start.state if start else None) if events else start.state
        recorded = events[-1].timestamp if events else start.recorded_at
        return _Case(first - 1, state, recorded)

    # Writing ----------------------------------------------------------------------

    def _write(self, position: int, new: int, batch: _Batch) -> None:
        with self.db.transaction(write=True) as run:
            moved = run(
                "UPDATE {p}catalog_position SET position = ? "
                "WHERE name = ? AND position = ? RETURNING position",
                [new, NAME, position],
            )
            if not moved:
                raise Moved(f"the catalog is no longer at {position}")
            if position == 0:
                take_over(run, self.db.sqlite)  # rows a rebuild by case left: not events
                restore_indexes(run, self.db.sqlite, self.db.schema)  # which it dropped
            _upsert_cases(run, batch.rows)
            ids = [[case_id] for case_id in batch.money]
            run.many("DELETE FROM {p}catalog_money WHERE case_id = ?", _converted(run, _ID, ids))
            money = [MONEY_VALUES(m) for rows in batch.money.values() for m in rows]
            _insert(run, "catalog_money", MONEY_COLUMNS, money)
            _insert(
                run,
                "catalog_ledger",
                LEDGER_ENTRY_COLUMNS,
                [LEDGER_VALUES(e) for e in batch.entries],
            )
            if self.db.sqlite:
                # A case is opened once, and its batch commits whole: one insert, never
                # a delete first (case_id is not indexed in FTS5: a delete scans it all).
                opened = {row.case_id for row in batch.opened}
                erased = [row for row in batch.erased if row.case_id not in opened]
                run.many(
                    SEARCH_INSERT,
                    [[str(row.case_id), row.subject, row.customer_name] for row in batch.opened],
                )
                if erased:
                    # A forgotten customer's words out of the search: their row
                    # replaced (rare, so the scan of the delete is paid), then the
                    # index merged so that no segment keeps the old words.
                    run.many(SEARCH_DELETE, [[str(row.case_id)] for row in erased])
                    run.many(
                        SEARCH_INSERT,
                        [[str(row.case_id), row.subject, row.customer_name] for row in erased],
                    )
                    run(SEARCH_MERGE, ())

    def reset(self) -> None:
        """Empty the catalog and put its position back to 0, in one transaction (a
        rebuild then catches up from the start)."""
        self.create()
        with self.db.transaction(write=True) as run:
            # The position's row first, as every writer locks it: on PostgreSQL this
            # waits for a rebuild's transaction under way, whose rows the deletes below
            # then see. A rebuild by case stops at its next transaction (claim gone).
            run(
                "UPDATE {p}catalog_position SET position = 0, schema_version = ? WHERE name = ?",
                [SCHEMA_VERSION, NAME],
            )
            take_over(run, self.db.sqlite)
        self._cases.clear()


def _names(columns: Iterable[tuple[str, str, bool]]) -> list[str]:
    return [name for name, _, _ in columns]


_ID = (("case_id", "id", False),)
_CONVERTERS: dict[tuple[tuple[str, str, bool], ...], Any] = {}


def _converted(
    run: Runner, columns: tuple[tuple[str, str, bool], ...], rows: Iterable[Sequence[Any]]
) -> list[list[Any]]:
    """``rows`` of ``columns``, each value as the database takes it (one converter per
    column, chosen once)."""
    key = (*columns, ("", "sqlite" if run.sqlite else "postgres", False))
    convert = _CONVERTERS.get(key)
    if convert is None:
        convert = _CONVERTERS[key] = row_converter([kind for _, kind, _ in columns], run.sqlite)
    return [convert(row) for row in rows]


def _insert(
    run: Runner,
    table: str,
    columns: tuple[tuple[str, str, bool], ...],
    rows: list[tuple[Any, ...]],
) -> None:
    if not rows:
        return
    run.many(insert(table, columns), _converted(run, columns, rows))


def _upsert_cases(run: Runner, rows: list[CaseRow]) -> None:
    names = _names(CASE_COLUMNS)
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" * len(names))
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names[1:])
    statement = (
        f"INSERT INTO {{p}}catalog_cases ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (case_id) DO UPDATE SET {updates}"
    )
    run.many(statement, _converted(run, CASE_COLUMNS, [CASE_VALUES(row) for row in rows]))
