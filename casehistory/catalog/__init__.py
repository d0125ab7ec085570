"""The catalog: every case at once, in tables kept by a projection of the log.

>>> from casehistory import CaseDesk
>>> from casehistory.stories import STORIES
>>> desk = CaseDesk.open(":memory:")
>>> for story in STORIES:
...     _ = story.tell(desk)
>>> page = desk.catalog.cases(status=Status.CLOSED)
>>> [row.customer_name for row in page.rows]
['Renata Kowalczyk', 'Brightline IT Solutions', 'Eileen Hollis']

docs/catalog.md has the schema, the queries and how the catalog is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import attrs

from casehistory.catalog._db import Database, Run
from casehistory.catalog._follow import Progress, follow
from casehistory.catalog._projection import NAME as _POSITION_NAME
from casehistory.catalog._projection import Projection
from casehistory.catalog._query import (
    ORDERS,
    Filters,
    Span,
    decode_cursor,
    encode_cursor,
    where,
)
from casehistory.catalog._read import CASES_SELECT, Reader
from casehistory.catalog._rows import CaseRow, LedgerEntry, MoneyRow
from casehistory.catalog._schema import SCHEMA_VERSION
from casehistory.catalog._stats import Elapsed, MoneyMoved, PeriodTimes, SlaOutcomes, Stats
from casehistory.catalog._stats_read import stats_of
from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Channel, EscalationTarget, Fault
from casehistory.errors import InvalidInput, StoreIsReadOnly, StoreUnavailable
from casehistory.store import READ_ONLY

__all__ = [
    "MAX_LIMIT",
    "CaseRow",
    "Catalog",
    "CatalogStatus",
    "Elapsed",
    "LedgerEntry",
    "MoneyMoved",
    "MoneyRow",
    "Page",
    "PeriodTimes",
    "Progress",
    "SlaOutcomes",
    "Stats",
    "Status",
    "follow",
]

MAX_LIMIT = 1000
"""The most rows one page holds."""

_T = TypeVar("_T")


@attrs.frozen
class CatalogStatus:
    """Where the catalog stands against the log."""

    position: int
    """The notification id of the last event it holds (0: none)."""
    head: int
    """The notification id of the log's last event."""
    exists: bool
    """Whether the store has the catalog's tables."""

    @property
    def behind(self) -> int:
        """Notification ids between the catalog and the log's head (0: up to date)."""
        return max(self.head - self.position, 0)


@attrs.frozen
class Page:
    """One page of a query: its rows, the cursor of the next page (None: the last
    page), and where the catalog stood when it answered."""

    rows: tuple[CaseRow, ...]
    cursor: str | None
    status: CatalogStatus

    @property
    def behind(self) -> int:
        """Events the answer may not count (a read-only reader of a catalog that its
        follower has not brought up to date): 0 means it holds every event."""
        return self.status.behind


class Catalog:
    """The catalog of a desk's store (``desk.catalog``).

    A desk that may write brings the catalog up to date before it answers: it applies
    the events recorded since the catalog's position (none, where a follower process,
    ``casehistory catalog follow``, keeps it up to date). A read-only desk never writes:
    its answers say how far behind they are (:attr:`Page.behind`).
    """

    def __init__(self, desk: Any) -> None:
        self._desk = desk
        datastore = getattr(desk._recorder, "datastore", None)
        self._db = Database(datastore)
        self._projection = Projection(desk, self._db)
        self._created = False
        # The log's head as a subquery, read with the catalog's position (the SQL of
        # the recorder's max_notification_id), on the store's own database only: not
        # for the in-process store, whose log is no table beside the catalog's, nor
        # for a catalog of another database put in place of this one (cli._listing).
        self._store_db = self._db
        self._head_sql: str | None = None
        table = getattr(desk._recorder, "events_table_name", None)
        if datastore is not None and table is not None:
            self._head_sql = (
                f"(SELECT MAX(rowid) FROM {table})"
                if self._db.sqlite
                else f'(SELECT MAX(notification_id) FROM {self._db.prefix}"{table}")'
            )
        self._readers: dict[bool, Reader] = {}

    @property
    def read_only(self) -> bool:
        """Whether the desk was opened read-only (then the catalog is never written)."""
        return bool(self._desk.env.get(READ_ONLY))

    # Keeping it -------------------------------------------------------------------

    def status(self) -> CatalogStatus:
        """Where the catalog stands: its position, the log's head. A catalog of another
        layout (an older release's) counts as none: a writer rebuilds it, a read-only
        reader answers as from no catalog (``behind`` says how much it misses)."""
        position = self._projection.position()
        if position is not None and self._projection.schema_version() != SCHEMA_VERSION:
            position = None
        return CatalogStatus(position or 0, self._projection.head(), position is not None)

    def catch_up(self, *, until: int | None = None) -> int:
        """Apply the events recorded since the catalog's position (up to ``until``, a
        notification id); returns how many. A read-only desk raises
        :class:`StoreIsReadOnly`."""
        self._writable()
        return self._projection.catch_up(until=until)

    def rebuild(self) -> int:
        """Empty the catalog and fold the whole log again; returns the events applied."""
        self._writable()
        self._projection.reset()
        return self._projection.catch_up()

    def wait(self, position: int | None = None) -> CatalogStatus:
        """Read your writes: make sure the catalog holds every event up to
        ``position`` (default: the last this desk recorded, else the log's head).

        A desk that may write applies what is missing itself, even while another
        process rebuilds the catalog (the rebuild then goes on from what this applied,
        in the log's order); a read-only one cannot, and raises
        :class:`StoreIsReadOnly` if the catalog is behind."""
        target = position if position is not None else self._desk.last_position
        if target is None:
            target = self._projection.head()
        status = self.status()
        if status.position >= target:
            return status
        self._writable()
        self._projection.catch_up(until=target, overtake=True)
        return self.status()

    def _writable(self) -> None:
        if self.read_only:
            raise StoreIsReadOnly(
                "this desk was opened read-only, so it never writes the catalog; its answers "
                "say how far behind they are (page.behind). Run `casehistory catalog follow` "
                "or `casehistory catalog rebuild` with a login that may write"
            )
        if not self._created:
            self._projection.create()
            self._created = True

    def _fresh(self) -> CatalogStatus:
        """Where the catalog stands, brought up to date first by a desk that may write
        (the check of :meth:`_answer`'s short way first, in a transaction of its own)."""
        if self.read_only or self._created:
            try:
                with self._db.transaction(write=False) as run:
                    status = self._status_in(run)
            except StoreUnavailable:
                status = None  # no table to read: the long way says so
            if status is not None:
                return status
        return self._caught_up()

    def _caught_up(self) -> CatalogStatus:
        if not self.read_only:
            self._writable()
            self._projection.catch_up()
        return self.status()

    def _answer(
        self, read: Callable[[Run], _T], *, without_catalog: bool = False
    ) -> tuple[CatalogStatus, _T | None]:
        """Where the catalog stands (up to date, if the desk may write) and what
        ``read`` reads in a read transaction then; None without a catalog, unless
        ``without_catalog`` (then ``read`` runs all the same).

        The short way, one transaction: a statement reads the position, the layout and
        the log's head, and if the catalog may answer as it is (it holds the head, or
        the desk may not write; this release's layout), ``read`` runs in the same
        transaction. Otherwise the long way: :meth:`_fresh` (which writes what is
        missing, creates the tables, or says there are none; a subclass may add to it,
        as cli._listing's catalog in memory does), then ``read``."""
        status: CatalogStatus | None = None
        if self.read_only or self._created:  # else the tables are checked first, once
            try:
                with self._db.transaction(write=False) as run:
                    status = self._status_in(run)
                    if status is not None:
                        return status, read(run)
            except StoreUnavailable:
                if status is not None:
                    raise  # the read itself failed
                # No table to read (no catalog yet) or a failing store: the long way
                # tells them apart as it always did.
        status = self._fresh()
        if not status.exists and not without_catalog:
            return status, None
        with self._db.transaction(write=False) as run:
            return status, read(run)

    @property
    def _reader(self) -> Reader:
        """The reader of rows for the catalog's database (of this dialect)."""
        sqlite = self._db.sqlite
        reader = self._readers.get(sqlite)
        if reader is None:
            reader = self._readers[sqlite] = Reader(sqlite)
        return reader

    def _status_in(self, run: Run) -> CatalogStatus | None:
        """The status read in the transaction of ``run`` when the catalog may answer as
        it is (see :meth:`_answer`), else None."""
        head_sql = self._head_sql if self._db is self._store_db else None
        found = run(
            "SELECT position, schema_version"
            + (f", {head_sql}" if head_sql else "")
            + " FROM {p}catalog_position WHERE name = ?",
            [_POSITION_NAME],
        )
        if not found:
            return None
        position, version = int(found[0][0]), found[0][1]
        head = int(found[0][2] or 0) if head_sql else self._projection.head()
        if version != SCHEMA_VERSION or (position < head and not self.read_only):
            return None
        return CatalogStatus(position, head, True)

    # Asking it --------------------------------------------------------------------

    def cases(
        self,
        *,
        status: Status | Iterable[Status] | None = None,
        fault: Fault | Iterable[Fault] | None = None,
        channel: Channel | Iterable[Channel] | None = None,
        customer: str | None = None,
        agent: str | None = None,
        department: str | None = None,
        opened: Span | None = None,
        closed: Span | None = None,
        idle_since: datetime | None = None,
        awaiting: str | None = None,
        pending_approval: bool | EscalationTarget | None = None,
        open_holds: bool | None = None,
        text: str | None = None,
        sla_breached: bool | None = None,
        due_before: datetime | None = None,
        order: str = "opened",
        limit: int = 100,
        after: str | None = None,
    ) -> Page:
        """The cases that match every filter given, ``limit`` per page, in ``order``
        (``"opened"`` or ``"-opened"``), after the ``cursor`` of a previous page.

        Filters: ``status``, ``fault``, ``channel`` (one or several members);
        ``customer``, ``agent`` (ids) and ``department``; ``opened`` and ``closed``
        (a ``(since, until)`` pair of aware datetimes, inclusive, either None);
        ``idle_since`` (no activity after it); ``awaiting`` (``"customer"`` or
        ``"return"``); ``pending_approval`` (True, False, or whom it awaits);
        ``open_holds`` (True or False); ``text`` (words of the subject or the
        customer's name, by the database's full-text search); ``sla_breached`` (a
        first-response or resolution clock breached as of the desk clock's now, or
        neither); ``due_before`` (a running clock due by then)."""
        filters = Filters(
            status=status,
            fault=fault,
            channel=channel,
            customer=customer,
            agent=agent,
            department=department,
            opened=opened,
            closed=closed,
            idle_since=idle_since,
            awaiting=awaiting,
            pending_approval=pending_approval,
            open_holds=open_holds,
            text=text,
            sla_breached=sla_breached,
            due_before=due_before,
            now=self._desk.clock.now(),
        )
        if order not in ORDERS:
            raise InvalidInput(f"order must be one of {', '.join(ORDERS)}, got {order!r:.40}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}")
        clauses, params = where(filters, self._db.sqlite)
        column, direction = ORDERS[order]
        if after is not None:
            opened_at, case_id = decode_cursor(after, order)
            sign = ">" if direction == "ASC" else "<"
            clauses.append(f"(c.{column} {sign} ? OR (c.{column} = ? AND c.case_id {sign} ?))")
            params.extend([opened_at, opened_at, case_id])
        query = (
            f"{CASES_SELECT} FROM {{p}}catalog_cases c"
            + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
            + f" ORDER BY c.{column} {direction}, c.case_id {direction} LIMIT ?"
        )
        params.append(limit + 1)

        def read(run: Run) -> tuple[list[CaseRow], bool]:
            found = run(query, params)
            return self._reader.rows(run, found[:limit]), len(found) > limit

        status_now, answer = self._answer(read)
        if answer is None:
            return Page((), None, status_now)
        rows, more = answer
        cursor = encode_cursor(order, rows[-1]) if more else None
        return Page(tuple(rows), cursor, status_now)

    def count(self, **filters: Any) -> int:
        """How many cases match the filters (those of :meth:`cases`)."""
        clauses, params = where(
            Filters(**{"now": self._desk.clock.now(), **filters}), self._db.sqlite
        )
        query = "SELECT COUNT(*) FROM {p}catalog_cases c" + (
            f" WHERE {' AND '.join(clauses)}" if clauses else ""
        )
        _, counted = self._answer(lambda run: int(run(query, params)[0][0]))
        return counted or 0

    def case(self, case_id: UUID) -> CaseRow | None:
        """The catalog's row of one case (None: it holds none)."""
        if not isinstance(case_id, UUID):
            raise InvalidInput(f"case_id must be a UUID, got {case_id!r:.80}")

        def read(run: Run) -> list[CaseRow]:
            query = f"{CASES_SELECT} FROM {{p}}catalog_cases c WHERE c.case_id = ?"
            return self._reader.rows(run, run(query, [case_id]))

        # Without a catalog it reads all the same (and fails, as it always has).
        _, found = self._answer(read, without_catalog=True)
        return found[0] if found else None

    def close(self) -> None:
        self._db.close()

    def stats(self, period: str = "month", *, now: datetime | None = None, **filters: Any) -> Stats:
        """The figures of the cases matching ``filters`` (those of :meth:`cases`): counts
        by status, fault and channel; money moved per ``period`` (``"month"``,
        ``"week"``, ``"day"``: UTC) and currency, by business time; holds outstanding;
        wall-clock times to first response and resolution (median, p90) and SLA
        outcomes as of ``now`` (default: the desk clock's), per period of opening.
        docs/catalog.md ("Stats") has the definitions."""
        return stats_of(self, period, now, filters)
