"""Reading rows of the catalog's tables back into :class:`CaseRow` and
:class:`MoneyRow`, for the queries of :class:`casehistory.catalog.Catalog`.

What a page costs beyond its SQL is turning raw values into Python's: a query answers
within 2x of hand-written SQL (benchmarks/catalog.py, part b) only if that stays small.
So each column's conversion is chosen once per database, not tested per value
(:func:`casehistory.catalog._db.from_db` gives the same values), and applied a column
at a time: ``map`` of a C function (``datetime.fromisoformat``, ``Decimal``) over a
whole column runs no Python code per value. Each row is built once, with its money: no
copy to attach it afterwards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any
from uuid import UUID, SafeUUID

from casehistory.catalog._db import Run
from casehistory.catalog._rows import CaseRow, MoneyRow
from casehistory.catalog._schema import CASE_COLUMNS, MONEY_COLUMNS

__all__ = ["CASES_SELECT", "Reader"]

CASES_SELECT = "SELECT " + ", ".join(f'c."{name}"' for name, _, _ in CASE_COLUMNS)
"""Every column of ``catalog_cases c``, in :class:`CaseRow`'s order."""

_MONEY_SELECT = "SELECT " + ", ".join(f'"{name}"' for name, _, _ in MONEY_COLUMNS)

_Column = Callable[[tuple[Any, ...]], list[Any] | tuple[Any, ...]]
"""Converts one column (all the values of a page in it) to Python's values."""


def _keep(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return values


_TZINFO = attrgetter("tzinfo")
_UTC_ONLY = frozenset([UTC])


def _sqlite_time(values: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    if values.count(None) == len(values):
        return values  # a column of times not yet come (closed_at of open cases...)
    if None in values:
        parsed = [None if v is None else datetime.fromisoformat(v) for v in values]
    else:
        parsed = list(map(datetime.fromisoformat, values))
    # The catalog writes UTC with its offset ("+00:00"), which fromisoformat reads as
    # the very UTC object: no astimezone, unless text changed by hand says otherwise.
    if _UTC_ONLY.issuperset(map(_TZINFO, filter(None, parsed))):
        return parsed
    return [None if v is None else v.astimezone(UTC) for v in parsed]


def _sqlite_bool(values: tuple[Any, ...]) -> list[Any]:
    if None in values:
        return [None if v is None else bool(v) for v in values]
    return list(map(bool, values))


def _sqlite_money(values: tuple[Any, ...]) -> list[Any]:
    if None in values:
        return [None if v is None else Decimal(v) for v in values]
    return list(map(Decimal, values))


_SAFE_UNKNOWN = SafeUUID.unknown


def _uuid(text: str) -> UUID:
    """``UUID(text)``, in half its time for the catalog's own text (``str`` of a
    UUID): the object is made as unpickling makes it (its ``int`` and ``is_safe``),
    without the checks of ``UUID.__init__``, which take longer than the parse itself."""
    digits = text.replace("-", "")
    if len(digits) == 32:
        try:
            number = int(digits, 16)
        except ValueError:
            return UUID(text)  # no hex: UUID's own words for it (or its other forms)
        made: UUID = object.__new__(UUID)
        object.__setattr__(made, "int", number)
        object.__setattr__(made, "is_safe", _SAFE_UNKNOWN)
        return made
    return UUID(text)


def _sqlite_id(values: tuple[Any, ...]) -> list[Any]:
    if None in values:
        return [None if v is None else _uuid(v) for v in values]
    return list(map(_uuid, values))


def _postgres_time(values: tuple[Any, ...]) -> list[Any]:
    # psycopg gives timestamptz in the session's time zone: the catalog's are in UTC.
    return [None if v is None else v.astimezone(UTC) for v in values]


_SQLITE: dict[str, _Column] = {
    "time": _sqlite_time,
    "bool": _sqlite_bool,
    "money": _sqlite_money,
    "id": _sqlite_id,
}
# psycopg already gives UUID, Decimal and bool.
_POSTGRES: dict[str, _Column] = {"time": _postgres_time}


def _converters(columns: tuple[tuple[str, str, bool], ...], sqlite: bool) -> list[_Column]:
    table = _SQLITE if sqlite else _POSTGRES
    return [table.get(kind, _keep) for _, kind, _ in columns]


class Reader:
    """Builds a database's raw rows of ``catalog_cases`` (and their money) into rows."""

    def __init__(self, sqlite: bool) -> None:
        self._cases = _converters(CASE_COLUMNS, sqlite)
        self._money = _converters(MONEY_COLUMNS, sqlite)

    def rows(self, run: Run, found: Sequence[tuple[Any, ...]]) -> list[CaseRow]:
        """The rows of ``found`` (values of :data:`CASES_SELECT`, in the transaction of
        ``run``), each with its money read from ``catalog_money``."""
        if not found:
            return []
        columns = list(zip(*found, strict=True))
        keys = columns[0]  # the case ids as the database gives them
        values = [convert(column) for convert, column in zip(self._cases, columns, strict=True)]
        money = self._money_of(run, dict(zip(keys, values[0], strict=True)))
        values.append([money.get(key, ()) for key in keys])  # the last field, money
        return [CaseRow(*row) for row in zip(*values, strict=True)]

    def _money_of(self, run: Run, ids: dict[Any, UUID]) -> dict[Any, tuple[MoneyRow, ...]]:
        """The money rows of the cases ``ids`` (a UUID by the case id as the database
        gives it), by that id; each names its case by the case row's own UUID."""
        found = run(
            f"{_MONEY_SELECT} FROM {{p}}catalog_money WHERE case_id IN "
            f"({', '.join('?' * len(ids))}) ORDER BY case_id, currency",
            list(ids),
        )
        if not found:
            return {}
        columns = list(zip(*found, strict=True))
        keys = columns[0]
        values: list[Sequence[Any]] = [[ids[key] for key in keys]]
        values += [
            convert(column) for convert, column in zip(self._money[1:], columns[1:], strict=True)
        ]
        money: dict[Any, list[MoneyRow]] = {}
        for key, row in zip(keys, zip(*values, strict=True), strict=True):
            money.setdefault(key, []).append(MoneyRow(*row))
        return {key: tuple(rows) for key, rows in money.items()}
