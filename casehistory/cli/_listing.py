"""What ``casehistory list`` answers: pages of the catalog, complete on a read-only store.

The verbs open the store read-only, and a read-only desk never writes the catalog. When
its catalog is behind the log (or the store has none yet) by at most ``fold`` events,
the events past its position are folded in memory, through the same projection, into a
catalog of their own (an in-memory SQLite database), and a page merges both: the stored
row of each case those events did not touch, the folded row of each case they did, in
the page's order (opening time, then case id, as the cursor is keyed). Further behind,
the page is the stored catalog's alone, and says how far behind it is.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from casehistory.catalog import MAX_LIMIT, CaseRow, Catalog, CatalogStatus
from casehistory.catalog._db import Database
from casehistory.catalog._projection import Projection
from casehistory.catalog._query import encode_cursor

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk

__all__ = ["FOLD", "Lister", "Listing", "row_as_dict"]

FOLD = 50_000
"""The most events past the catalog's position a read-only answer folds in memory."""


@attrs.frozen
class Listing:
    """One page of ``list``: its rows, the cursor of the next page (None: the last)."""

    rows: tuple[CaseRow, ...]
    cursor: str | None
    stored: CatalogStatus
    """Where the stored catalog stood when the listing began."""
    folded: int
    """Events past the stored catalog's position that the answer folded in memory."""
    behind: int
    """Events the answer may not count (0: it holds every event up to the log's head)."""


class _Overlay(Catalog):
    """A catalog in memory that holds only the cases touched after ``start``, the
    stored catalog's position: the projection starts there and folds each case it
    meets from the desk's own checked load."""

    def __init__(self, desk: CaseDesk, start: int) -> None:
        super().__init__(desk)
        self._db = Database(None)
        self._projection = Projection(desk, self._db)
        self._projection.create()
        with self._db.transaction(write=True) as run:
            run("UPDATE catalog_position SET position = ?", [start])
        self._created = True

    @property
    def read_only(self) -> bool:
        return False  # it writes only its own memory; the store is never written

    def _fresh(self) -> CatalogStatus:
        status = super()._fresh()
        # The projection indexes a case's words when it folds its opening; a case opened
        # before ``start`` has them in the stored catalog only, and is answered from here.
        with self._db.transaction(write=True) as run:
            run(
                "INSERT INTO catalog_search (case_id, subject, customer_name) "
                "SELECT case_id, subject, customer_name FROM catalog_cases "
                "WHERE case_id NOT IN (SELECT case_id FROM catalog_search)",
                (),
            )
        return status

    def touched(self) -> set[UUID]:
        with self._db.transaction(write=False) as run:
            return {UUID(case_id) for (case_id,) in run("SELECT case_id FROM catalog_cases", ())}


def _key(row: CaseRow) -> tuple[datetime, UUID]:
    return row.opened_at, row.case_id


class Lister:
    """Pages of a desk's catalog, folding what a read-only catalog lacks (see above)."""

    def __init__(self, desk: CaseDesk, *, fold: int = FOLD) -> None:
        self._catalog = desk.catalog
        self.stored = self._catalog.status()
        self._overlay: _Overlay | None = None
        if self._catalog.read_only and 0 < self.stored.behind <= fold:
            self._overlay = _Overlay(desk, self.stored.position)

    def page(
        self, filters: dict[str, Any], *, order: str, limit: int, after: str | None
    ) -> Listing:
        """One page of the cases matching ``filters`` (those of ``Catalog.cases``)."""
        if self._overlay is None:
            page = self._catalog.cases(**filters, order=order, limit=limit, after=after)
            return Listing(page.rows, page.cursor, self.stored, 0, page.behind)
        folded = self._overlay.cases(**filters, order=order, limit=limit, after=after)
        touched = self._overlay.touched()
        stored: list[CaseRow] = []
        more = False
        if self.stored.exists:
            cursor = after
            while True:  # enough untouched rows to fill the page and know if more follow
                size = min(MAX_LIMIT, limit + 1 + len(touched))
                page = self._catalog.cases(**filters, order=order, limit=size, after=cursor)
                stored.extend(row for row in page.rows if row.case_id not in touched)
                cursor = page.cursor
                if cursor is None:
                    break
                if len(stored) > limit:
                    more = True
                    break
        merged = sorted([*folded.rows, *stored], key=_key, reverse=order.startswith("-"))
        more = more or folded.cursor is not None or len(merged) > limit
        rows = tuple(merged[:limit])
        next_page = encode_cursor(order, rows[-1]) if more and rows else None
        count = folded.status.position - self.stored.position
        return Listing(rows, next_page, self.stored, count, folded.behind)

    def close(self) -> None:
        if self._overlay is not None:
            self._overlay.close()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)  # amounts as strings, never floats
    return value


def row_as_dict(row: CaseRow) -> dict[str, Any]:
    """A catalog row as JSON-ready values: times ISO 8601, amounts strings, money a
    list of per-currency objects."""
    data = {
        field.name: _plain(getattr(row, field.name))
        for field in attrs.fields(CaseRow)
        if field.name != "money"
    }
    data["money"] = [
        {name: _plain(value) for name, value in attrs.asdict(money).items() if name != "case_id"}
        for money in row.money
    ]
    return data
