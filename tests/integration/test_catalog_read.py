"""The catalog's rows as its queries read them back (casehistory/catalog/_read.py):
value for value and type for type what ``from_db`` makes of each stored value, on
SQLite, PostgreSQL and the in-process store; text changed by hand (a time in another
offset, a case id in capitals or braces) read as ``from_db`` and ``UUID`` read it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import attrs
import pytest

from casehistory import CaseDesk, Status
from casehistory.catalog import CaseRow, MoneyRow
from casehistory.catalog._db import from_db
from casehistory.catalog._schema import CASE_COLUMNS, MONEY_COLUMNS
from casehistory.stories import STORIES

PLUS_TWO = timezone(timedelta(hours=2))


def by_from_db(desk: CaseDesk) -> dict[UUID, CaseRow]:
    """Every row of the catalog, each value read by ``from_db`` of its column's kind."""
    cases = ", ".join(f'"{name}"' for name, _, _ in CASE_COLUMNS)
    money = ", ".join(f'"{name}"' for name, _, _ in MONEY_COLUMNS)
    with desk.catalog._db.transaction(write=False) as run:
        case_rows = run(f"SELECT {cases} FROM {{p}}catalog_cases", ())
        money_rows = run(f"SELECT {money} FROM {{p}}catalog_money ORDER BY case_id, currency", ())
    totals: dict[UUID, list[MoneyRow]] = {}
    for values in money_rows:
        row = MoneyRow(
            *(from_db(kind, v) for (_, kind, _), v in zip(MONEY_COLUMNS, values, strict=True))
        )
        totals.setdefault(row.case_id, []).append(row)
    rows = {}
    for values in case_rows:
        fields = [from_db(kind, v) for (_, kind, _), v in zip(CASE_COLUMNS, values, strict=True)]
        rows[fields[0]] = CaseRow(*fields, money=tuple(totals.get(fields[0], ())))  # type: ignore[misc]
    return rows


def assert_same(read: CaseRow, expected: CaseRow) -> None:
    """Equal, and of the same types (True is not 1; a time is in UTC itself)."""
    assert read == expected
    for name in [a.name for a in attrs.fields(CaseRow)]:
        value = getattr(read, name)
        assert type(value) is type(getattr(expected, name)), name
        if isinstance(value, datetime):
            assert value.tzinfo is UTC, name
    for money, other in zip(read.money, expected.money, strict=True):
        assert money.case_id is read.case_id  # one UUID object for the case
        for name in [a.name for a in attrs.fields(MoneyRow)]:
            assert type(getattr(money, name)) is type(getattr(other, name)), name


def every_row(desk: CaseDesk) -> list[CaseRow]:
    rows: list[CaseRow] = []
    after = None
    while True:
        page = desk.catalog.cases(limit=3, after=after)  # pages of 3: the cursor too
        rows.extend(page.rows)
        if page.cursor is None:
            return rows
        after = page.cursor


def check_every_row(desk: CaseDesk) -> None:
    for story in STORIES:
        story.tell(desk)
    read = every_row(desk)
    expected = by_from_db(desk)
    assert len(read) == len(expected) == len(STORIES)
    assert any(row.money for row in read)
    assert any(row.closed_at for row in read)
    for row in read:
        assert_same(row, expected[row.case_id])
        one = desk.catalog.case(row.case_id)
        assert one is not None
        assert_same(one, expected[row.case_id])
    closed = desk.catalog.cases(status=Status.CLOSED).rows
    assert closed
    assert all(row == expected[row.case_id] for row in closed)


def test_rows_are_what_from_db_reads(open_desk: Callable[[], CaseDesk]) -> None:
    check_every_row(open_desk())


def test_rows_are_what_from_db_reads_in_process() -> None:
    desk = CaseDesk.open(":memory:")
    try:
        check_every_row(desk)
    finally:
        desk.close()


def test_text_changed_by_hand_reads_as_from_db_and_uuid_read_it(sqlite_path: Any) -> None:
    desk = CaseDesk.open(str(sqlite_path))
    try:
        for story in STORIES:
            story.tell(desk)
        before = {row.case_id: row for row in every_row(desk)}
        first, second = sorted(before, key=str)[:2]
        with sqlite3.connect(str(sqlite_path)) as conn:
            # Another offset for the same moment; the ids in capitals and in braces.
            conn.execute(
                "UPDATE catalog_cases SET opened_at = ?, case_id = upper(case_id) "
                "WHERE case_id = ?",
                [
                    before[first].opened_at.astimezone(PLUS_TWO).isoformat(),
                    str(first),
                ],
            )
            conn.execute(
                "UPDATE catalog_money SET case_id = upper(case_id) WHERE case_id = ?", [str(first)]
            )
            for table in ("catalog_cases", "catalog_money"):
                conn.execute(
                    f"UPDATE {table} SET case_id = '{{' || case_id || '}}' WHERE case_id = ?",
                    [str(second)],
                )
        # One page: a time written in another offset sorts out of place as text, so a
        # cursor's keyset may skip or repeat it.
        after = {row.case_id: row for row in desk.catalog.cases(limit=1000).rows}
        assert after == before
        for case_id in (first, second):
            assert_same(after[case_id], before[case_id])
        with sqlite3.connect(str(sqlite_path)) as conn:
            conn.execute("UPDATE catalog_cases SET case_id = 'x' || substr(case_id, 2)")
        # UUID's own words, whichever row is read first (the case ids are random): a
        # plain id without hex, or the braced one, one character short once unbraced.
        with pytest.raises(
            ValueError,
            match=r"invalid literal for int\(\) with base 16|badly formed hexadecimal UUID",
        ):
            desk.catalog.cases()  # not a UUID at all: UUID's own error, as from_db gave
    finally:
        desk.close()
