"""The aggregated read of ``desk.catalog.stats()``: every figure summed up by the
database, GROUP BY period, so that Python handles a few hundred rows whatever the
size of the catalog (:func:`casehistory.catalog._stats_read.read_tally` reads a row
per case and per ledger entry, to leave cases out; the command line uses it when it
folds what a catalog lacks), but for the times.

Written for both dialects. Exact whatever the database: amounts are summed with
``SUM`` on PostgreSQL (``numeric``) and, on SQLite (decimal text, which ``SUM`` would
turn into floats), joined with ``group_concat`` and summed as Decimal here. Times are
the exception: the median and p90 need every time, so the opening, response and
resolution of each case that has one are read (three columns) and ranked here."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from casehistory.catalog._db import Run
from casehistory.catalog._query import Filters, _breached, where
from casehistory.catalog._stats import ZERO, Tally, period_start, require_period, summary

__all__ = ["outcome_sql", "read_totals"]

_CLOCKS = ("first_response", "resolution")


def _period_sql(period: str, column: str, sqlite: bool) -> str:
    """SQL: the first day of the UTC ``period`` holding ``column``, as ISO text."""
    if sqlite:  # UTC ISO 8601 text of fixed width
        if period == "month":
            return f"substr({column}, 1, 7) || '-01'"
        if period == "week":  # to the Sunday ending its ISO week, then back to the Monday
            return f"date(substr({column}, 1, 10), 'weekday 0', '-6 days')"
        return f"substr({column}, 1, 10)"
    utc = f"({column} AT TIME ZONE 'UTC')"
    unit = {"month": "month", "week": "week", "day": "day"}[period]  # week: ISO, Monday
    return f"to_char(date_trunc('{unit}', {utc}), 'YYYY-MM-DD')"


def outcome_sql(clock: str) -> str:
    """SQL: ``M`` (met in time), ``B`` (breached) or ``U`` (unmet) as of ``?``, by the
    catalog's own rule for ``sla_breached`` (NULL: no SLA terms)."""
    return (
        f"CASE WHEN c.sla_policy IS NULL THEN NULL WHEN {_breached(clock)} THEN 'B' "
        f"WHEN c.{clock}_met_at IS NOT NULL THEN 'M' ELSE 'U' END"
    )


def _utc(value: datetime) -> datetime:
    # In UTC before subtracting: Python subtracts two datetimes of one tzinfo by their
    # wall clocks, and PostgreSQL gives them in the session's zone (an hour out across
    # a change of daylight saving time).
    return value.astimezone(UTC)


@functools.lru_cache(maxsize=1024)
def _day(text: str) -> date:
    return date.fromisoformat(text)


def _amount(value: Any, sqlite: bool) -> Decimal:
    if sqlite:  # the amounts of a group, space-separated decimal text
        return sum((Decimal(part) for part in str(value).split()), ZERO)
    return ZERO + Decimal(value)


def read_totals(run: Run, filters: Filters, *, sqlite: bool, period: str, now: datetime) -> Tally:
    """The whole tally of the cases matching ``filters``, summed up by the database in
    four statements (its ``elapsed`` set: it adds up with no other tally)."""
    period = require_period(period)
    clauses, params = where(filters, sqlite)
    tally = Tally(period, elapsed={})
    _count(run, tally, clauses, params, sqlite, now)
    _money(run, tally, clauses, params, sqlite)
    _times(run, tally, clauses, params, sqlite)
    return tally


def _count(
    run: Run, tally: Tally, clauses: list[str], params: list[Any], sqlite: bool, now: datetime
) -> None:
    """Counts by status, fault and channel (each a scan of its index, where no filter
    needs more), then one scan of the cases: openings, SLA outcomes and open holds per
    period (grouping by all six at once sorted three times as long)."""
    where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    for column, counter in (
        ("status", tally.status),
        ("fault", tally.fault),
        ("channel", tally.channel),
    ):
        for name, count in run(
            f"SELECT c.{column}, COUNT(*) AS n FROM {{p}}catalog_cases c{where_sql} "
            f"GROUP BY c.{column}",
            params,
        ):
            counter[name] += int(count)
    opened = _period_sql(tally.period, "c.opened_at", sqlite)
    for start, first, resolution, count, holds in run(
        f"SELECT {opened} AS period, {outcome_sql('first_response')} AS first_response, "
        f"{outcome_sql('resolution')} AS resolution, COUNT(*) AS n, "
        f"SUM(c.open_holds) AS holds FROM {{p}}catalog_cases c{where_sql} GROUP BY 1, 2, 3",
        [now, now, *params],
    ):
        count = int(count)
        tally.open_holds += int(holds)
        day = _day(start)
        tally.opened[day] += count
        for clock, outcome in (("first_response", first), ("resolution", resolution)):
            if outcome is not None:
                tally.sla[day, clock, outcome] += count


def _money(run: Run, tally: Tally, clauses: list[str], params: list[Any], sqlite: bool) -> None:
    """What the ledger moved per period, currency and column; what holds still hold."""
    where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    join = " JOIN {p}catalog_cases c ON c.case_id = {t}.case_id" if clauses else ""
    moved = _period_sql(tally.period, "l.occurred_at", sqlite)
    total = "group_concat(l.amount, ' ')" if sqlite else "SUM(l.amount)"
    for start, currency, column, amount in run(
        f'SELECT {moved} AS period, l.currency, l."column", {total} AS amount '
        f"FROM {{p}}catalog_ledger l{join.replace('{t}', 'l')}{where_sql} GROUP BY 1, 2, 3",
        params,
    ):
        tally.money[_day(start), currency, column] = _amount(amount, sqlite)
    # Held less released is zero where the two are the same text (SQLite) or number:
    # the rows left hold every hold outstanding, and few others.
    total = "group_concat(m.on_hold, ' ')" if sqlite else "SUM(m.on_hold)"
    held = " AND ".join(["m.held <> m.released", *clauses])
    for currency, amount in run(
        f"SELECT m.currency, {total} AS amount FROM {{p}}catalog_money m"
        f"{join.replace('{t}', 'm')} WHERE {held} GROUP BY m.currency",
        params,
    ):
        tally.on_hold[currency] = _amount(amount, sqlite)


def _times(run: Run, tally: Tally, clauses: list[str], params: list[Any], sqlite: bool) -> None:
    """The median and p90 of both times per period of opening, from one scan of the
    cases that have either. Computed here, not in SQL: parsing four timestamps a row
    with SQLite's date functions took three times as long as Python's fromisoformat."""
    assert tally.elapsed is not None
    measured = " AND ".join(
        ["(c.first_response_at IS NOT NULL OR c.resolved_at IS NOT NULL)", *clauses]
    )
    lists: dict[tuple[date, str], list[timedelta]] = {}
    zero, period = timedelta(0), tally.period
    # The catalog's UTC text (SQLite), or timestamptz in the session's zone (PostgreSQL).
    moment = datetime.fromisoformat if sqlite else _utc
    for opened, *ends in run(
        "SELECT c.opened_at, c.first_response_at, c.resolved_at "
        f"FROM {{p}}catalog_cases c WHERE {measured}",
        params,
    ):
        start = period_start(period, opened)
        opened_at = moment(opened)
        for clock, end in zip(_CLOCKS, ends, strict=True):
            if end is not None:
                lists.setdefault((start, clock), []).append(max(moment(end) - opened_at, zero))
    for key, values in lists.items():
        tally.elapsed[key] = summary(values)
