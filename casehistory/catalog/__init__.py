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

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from casehistory.catalog._db import Database, from_db
from casehistory.catalog._follow import Progress, follow
from casehistory.catalog._projection import Projection
from casehistory.catalog._query import (
    COLUMN_KINDS,
    ORDERS,
    Filters,
    Span,
    decode_cursor,
    encode_cursor,
    where,
)
from casehistory.catalog._rows import CaseRow, LedgerEntry, MoneyRow
from casehistory.catalog._schema import CASE_COLUMNS, MONEY_COLUMNS, SCHEMA_VERSION
from casehistory.catalog._stats import Elapsed, MoneyMoved, PeriodTimes, SlaOutcomes, Stats
from casehistory.catalog._stats_read import stats_of
from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Channel, EscalationTarget, Fault
from casehistory.errors import InvalidInput, StoreIsReadOnly
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

        A desk that may write applies what is missing itself; a read-only one cannot,
        and raises :class:`StoreIsReadOnly` if the catalog is behind."""
        target = position if position is not None else self._desk.last_position
        if target is None:
            target = self._projection.head()
        status = self.status()
        if status.position >= target:
            return status
        self.catch_up(until=target)
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
        if not self.read_only:
            self._writable()
            self._projection.catch_up()
        return self.status()

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
        status_now = self._fresh()
        if not status_now.exists:
            return Page((), None, status_now)
        names = ", ".join(f'c."{name}"' for name, _, _ in CASE_COLUMNS)
        query = (
            f"SELECT {names} FROM {{p}}catalog_cases c"
            + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
            + f" ORDER BY c.{column} {direction}, c.case_id {direction} LIMIT ?"
        )
        with self._db.transaction(write=False) as run:
            found = run(query, [*params, limit + 1])
            rows = [_row(values) for values in found[:limit]]
            money = _money(run, [row.case_id for row in rows])
        rows = [attrs.evolve(row, money=money.get(row.case_id, ())) for row in rows]
        cursor = encode_cursor(order, rows[-1]) if len(found) > limit else None
        return Page(tuple(rows), cursor, status_now)

    def count(self, **filters: Any) -> int:
        """How many cases match the filters (those of :meth:`cases`)."""
        clauses, params = where(
            Filters(**{"now": self._desk.clock.now(), **filters}), self._db.sqlite
        )
        status_now = self._fresh()
        if not status_now.exists:
            return 0
        query = "SELECT COUNT(*) FROM {p}catalog_cases c" + (
            f" WHERE {' AND '.join(clauses)}" if clauses else ""
        )
        with self._db.transaction(write=False) as run:
            return int(run(query, params)[0][0])

    def case(self, case_id: UUID) -> CaseRow | None:
        """The catalog's row of one case (None: it holds none)."""
        if not isinstance(case_id, UUID):
            raise InvalidInput(f"case_id must be a UUID, got {case_id!r:.80}")
        self._fresh()
        names = ", ".join(f'c."{name}"' for name, _, _ in CASE_COLUMNS)
        with self._db.transaction(write=False) as run:
            found = run(f"SELECT {names} FROM {{p}}catalog_cases c WHERE c.case_id = ?", [case_id])
            money = _money(run, [case_id])
        if not found:
            return None
        return attrs.evolve(_row(found[0]), money=money.get(case_id, ()))

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


def _row(values: tuple[Any, ...]) -> CaseRow:
    return CaseRow(
        *(
            from_db(COLUMN_KINDS[name], value)
            for (name, _, _), value in zip(CASE_COLUMNS, values, strict=True)
        )
    )


def _money(run: Any, case_ids: list[UUID]) -> dict[UUID, tuple[MoneyRow, ...]]:
    if not case_ids:
        return {}
    names = ", ".join(f'"{name}"' for name, _, _ in MONEY_COLUMNS)
    marks = ", ".join("?" * len(case_ids))
    found = run(
        f"SELECT {names} FROM {{p}}catalog_money WHERE case_id IN ({marks}) "
        "ORDER BY case_id, currency",
        case_ids,
    )
    money: dict[UUID, list[MoneyRow]] = {}
    for values in found:
        row = MoneyRow(
            *(
                from_db(kind, value)
                for (_, kind, _), value in zip(MONEY_COLUMNS, values, strict=True)
            )
        )
        money.setdefault(row.case_id, []).append(row)
    return {case_id: tuple(rows) for case_id, rows in money.items()}
