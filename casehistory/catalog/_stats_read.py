"""Reading ``desk.catalog.stats()``: the arguments checked, the catalog brought up to
date, then summed up by the database (:mod:`casehistory.catalog._stats_sql`); or, row
by row, three reads of its tables (cases, ledger entries, money with open holds), each
summed into a :class:`Tally` here (amounts as Decimal), which the command line adds up
when it folds in memory the events a read-only catalog lacks (leaving out of the
stored catalog the cases they touched)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs

from casehistory.catalog._db import Run, from_db
from casehistory.catalog._query import Filters, where
from casehistory.catalog._stats import ZERO, Stats, Tally, period_start, require_period
from casehistory.catalog._stats_sql import outcome_sql, read_totals
from casehistory.domain.values import require_aware
from casehistory.errors import InvalidInput

__all__ = [
    "checked_filters",
    "ledger_of",
    "matching_ids",
    "read_ledger",
    "read_tally",
    "stats_of",
    "tally_of",
]

_CLOCKS = ("first_response", "resolution")


def _join(table: str, clauses: list[str], extra: Iterable[str] = ()) -> str:
    """SQL after ``FROM ... {table}``: the join to the cases' rows that the
    conditions need (none without conditions)."""
    conditions = [*extra, *clauses]
    if not conditions:
        return ""
    return (
        f" JOIN {{p}}catalog_cases c ON c.case_id = {table}.case_id"
        f" WHERE {' AND '.join(conditions)}"
    )


def read_tally(
    run: Run,
    filters: Filters,
    *,
    sqlite: bool,
    period: str,
    now: datetime,
    exclude: Collection[str] = (),
) -> Tally:
    """The tally of the cases matching ``filters`` in the tables ``run`` reads (their
    ledger entries joined to their rows), leaving out the cases whose ids (text form)
    are in ``exclude``."""
    now = require_aware(now, "now")
    clauses, params = where(filters, sqlite)
    where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    tally = Tally(require_period(period))
    cases = run(
        "SELECT c.case_id, c.status, c.fault, c.channel, c.open_holds, c.opened_at, "
        "c.first_response_at, c.resolved_at, "
        # Named: PostgreSQL's rows are read by column name, and both would be "case".
        f"{outcome_sql('first_response')} AS first_response_outcome, "
        f"{outcome_sql('resolution')} AS resolution_outcome "
        f"FROM {{p}}catalog_cases c{where_sql}",
        [now, now, *params],
    )
    for case_id, status, fault, channel, holds, opened, responded, resolved, *sla in cases:
        if exclude and str(case_id) in exclude:
            continue
        tally.status[status] += 1
        tally.fault[fault] += 1
        tally.channel[channel] += 1
        tally.open_holds += holds
        start = period_start(period, opened)
        tally.opened[start] += 1
        opened_at = from_db("time", opened)
        for moment, times in (
            (responded, tally.first_response),
            (resolved, tally.resolution),
        ):
            if moment is not None:
                took = max(from_db("time", moment) - opened_at, timedelta(0))
                times.setdefault(start, []).append(took)
        for clock, outcome in zip(_CLOCKS, sla, strict=True):
            if outcome is not None:
                tally.sla[start, clock, outcome] += 1
    ledger = run(
        'SELECT l.case_id, l."column", l.currency, l.amount, l.occurred_at '
        "FROM {p}catalog_ledger l" + _join("l", clauses),
        params,
    )
    _add_entries(tally, ledger, exclude)
    holds = run(
        "SELECT m.case_id, m.currency, m.on_hold FROM {p}catalog_money m"
        + _join("m", clauses, ["c.open_holds > 0"]),
        params,
    )
    for case_id, currency, on_hold in holds:
        if exclude and str(case_id) in exclude:
            continue
        tally.on_hold[currency] = tally.on_hold.get(currency, ZERO) + from_db("money", on_hold)
    return tally


def read_ledger(run: Run, case_ids: Collection[str], *, period: str) -> Tally:
    """A tally of the ledger entries alone of the cases ``case_ids`` (text form)."""
    tally = Tally(require_period(period))
    ids = sorted(case_ids)
    for at in range(0, len(ids), 500):  # a bounded number of parameters per statement
        chunk = ids[at : at + 500]
        marks = ", ".join("?" * len(chunk))
        found = run(
            'SELECT l.case_id, l."column", l.currency, l.amount, l.occurred_at '
            f"FROM {{p}}catalog_ledger l WHERE l.case_id IN ({marks})",
            chunk,
        )
        _add_entries(tally, found, ())
    return tally


def _add_entries(tally: Tally, rows: Iterable[tuple[Any, ...]], exclude: Collection[str]) -> None:
    period, money = tally.period, tally.money
    for case_id, column, currency, amount, occurred in rows:
        if exclude and str(case_id) in exclude:
            continue
        key = (period_start(period, occurred), currency, column)
        money[key] = money.get(key, ZERO) + from_db("money", amount)


def tally_of(
    catalog: Any,
    filters: Filters,
    *,
    period: str,
    now: datetime,
    exclude: Collection[str] = (),
    mergeable: bool = False,
) -> tuple[Tally, Any]:
    """The tally of ``catalog`` (brought up to date first, if its desk may write) and
    where it stood (its :class:`~casehistory.catalog.CatalogStatus`): summed up by the
    database, or, ``mergeable`` (or leaving cases out), read row by row, to add up with
    other tallies."""
    status = catalog._fresh()
    if not status.exists:
        return Tally(require_period(period)), status
    sqlite = catalog._db.sqlite
    with catalog._db.transaction(write=False) as run:
        if mergeable or exclude:
            tally = read_tally(run, filters, sqlite=sqlite, period=period, now=now, exclude=exclude)
        else:
            tally = read_totals(run, filters, sqlite=sqlite, period=period, now=now)
    return tally, status


def matching_ids(catalog: Any, filters: Filters) -> set[str]:
    """The ids (text form) of the cases of ``catalog`` that match ``filters``."""
    clauses, params = where(filters, catalog._db.sqlite)
    where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with catalog._db.transaction(write=False) as run:
        found = run(f"SELECT c.case_id FROM {{p}}catalog_cases c{where_sql}", params)
    return {str(case_id) for (case_id,) in found}


def ledger_of(catalog: Any, case_ids: Collection[str], *, period: str) -> Tally:
    """A tally of the ledger entries alone of ``case_ids`` in ``catalog``."""
    if not case_ids:
        return Tally(require_period(period))
    with catalog._db.transaction(write=False) as run:
        return read_ledger(run, case_ids, period=period)


def checked_filters(catalog: Any, filters: dict[str, Any], now: datetime | None) -> Filters:
    """``filters`` (those of ``cases()``) checked, with the moment breaches are judged
    at (``now``, or the desk clock's)."""
    known = {field.name for field in attrs.fields(Filters)} - {"now"}
    unknown = sorted(set(filters) - known)
    if unknown:
        raise InvalidInput(
            f"stats takes the filters of cases(), not {', '.join(unknown)}: "
            f"use {', '.join(sorted(known))}"
        )
    moment = catalog._desk.clock.now() if now is None else require_aware(now, "now")
    chosen = Filters(**filters, now=moment)
    where(chosen, catalog._db.sqlite)  # a bad filter is refused before any work
    return chosen


def stats_of(catalog: Any, period: str, now: datetime | None, filters: dict[str, Any]) -> Stats:
    """``catalog.stats(...)``: checks every argument, brings the catalog up to date (a
    desk that may write) and reads it in one read transaction."""
    period = require_period(period)
    chosen = checked_filters(catalog, filters, now)
    assert chosen.now is not None
    tally, status = tally_of(catalog, chosen, period=period, now=chosen.now)
    return tally.result(chosen.now, status.behind)
