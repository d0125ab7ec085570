"""The stats computed the long way, without the catalog: every case's view
(``desk.case``), its history (``desk.history``) and its SLA clocks (``desk.sla``), with
the definitions of docs/catalog.md ("Stats") written again from the text, so that
the catalog's SQL and sums are held to something they share nothing with but the fold.

Money is read off the events by type (which event moves which ledger column, as the
domain's documentation says), not from the catalog's ledger diffs; periods and
percentiles are computed here, with the standard library's own ISO week format."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from casehistory import CaseDesk, Channel, Fault, Status
from casehistory import events as ev
from casehistory.views import CaseView

# Which event moves which ledger column, and by which of its fields.
MOVES: dict[type[Any], tuple[str, str]] = {
    ev.PaymentRecorded: ("paid", "amount"),
    ev.RefundIssued: ("refunded", "amount"),
    ev.CreditIssued: ("credited", "amount"),
    ev.GoodwillGranted: ("goodwill", "value"),
    ev.HoldPlaced: ("held", "amount"),
    ev.HoldReleased: ("released", "amount"),
}
COLUMNS = ("paid", "refunded", "credited", "goodwill", "held", "released")


def start_of(period: str, moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    if period == "month":
        return date(day.year, day.month, 1)
    if period == "week":
        return day - timedelta(days=day.isoweekday() - 1)
    return day


FORMATS = {"month": "%Y-%m", "week": "%G-W%V", "day": "%Y-%m-%d"}


def label_of(period: str, start: date) -> str:
    return start.strftime(FORMATS[period])


def nearest_rank(values: list[timedelta], percent: int) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(percent / 100 * len(ordered)) - 1]


def _outcome(clock: Any) -> str:
    if clock.breached:
        return "breached"
    return "met" if clock.met_at is not None else "unmet"


def fold_stats(
    desk: CaseDesk,
    period: str,
    now: datetime,
    keep: Callable[[CaseView], bool] = lambda view: True,
) -> dict[str, Any]:
    """The stats of the cases ``keep`` keeps, as plain values (see :func:`plain`)."""
    views = [view for view in (desk.case(i) for i in desk.case_ids()) if keep(view)]
    money: dict[tuple[str, str], dict[str, Decimal]] = {}
    on_hold: dict[str, Decimal] = {}
    opened: Counter[date] = Counter()
    responses: dict[date, list[timedelta]] = {}
    resolutions: dict[date, list[timedelta]] = {}
    sla: Counter[tuple[date, str, str]] = Counter()
    for view in views:
        placed: set[str] = set()
        for event in desk.history(view.case_id):
            if isinstance(event, ev.HoldPlaced):
                placed.add(event.reference)
            if isinstance(event, ev.HoldReleased) and event.reference not in placed:
                continue  # a release of no hold moves nothing
            moved = MOVES.get(type(event))
            if (
                isinstance(event, ev.RepairCompleted)
                and event.limit_check is not None
                and event.cost is not None
            ):
                moved = ("goodwill", "cost")  # rules 2: a repair covered by goodwill
            if moved is not None:
                column, field = moved
                amount = getattr(event, field)
                key = (label_of(period, start_of(period, event.occurred_at)), amount.currency)
                sums = money.setdefault(key, dict.fromkeys(COLUMNS, Decimal(0)))
                sums[column] += amount.amount
        for currency, balance in view.ledger.balances.items():
            on_hold[currency] = (
                on_hold.get(currency, Decimal(0)) + (balance.held - balance.released).amount
            )
        start = start_of(period, view.opened_at)
        opened[start] += 1
        if view.first_response_at is not None:
            took = max(view.first_response_at - view.opened_at, timedelta(0))
            responses.setdefault(start, []).append(took)
        if view.resolved_at is not None:
            took = max(view.resolved_at - view.opened_at, timedelta(0))
            resolutions.setdefault(start, []).append(took)
        clocks = desk.sla(view.case_id, as_of=now)
        sla[start, "first_response", _outcome(clocks.first_response)] += 1
        sla[start, "resolution", _outcome(clocks.resolution)] += 1

    def times(values: list[timedelta]) -> tuple[int, timedelta | None, timedelta | None]:
        return len(values), nearest_rank(values, 50), nearest_rank(values, 90)

    return {
        "cases": len(views),
        "by_status": {s.name: sum(v.status is s for v in views) for s in Status},
        "by_fault": {f.name: sum(v.fault is f for v in views) for f in Fault},
        "by_channel": {c.name: sum(v.channel is c for v in views) for c in Channel},
        "open_holds": sum(len(v.open_holds) for v in views),
        "on_hold": {c: a for c, a in sorted(on_hold.items()) if a},
        "money": {key: sums for key, sums in sorted(money.items()) if any(sums.values())},
        "times": {
            label_of(period, start): (
                count,
                times(responses.get(start, [])),
                times(resolutions.get(start, [])),
                tuple(
                    sla[start, clock, kind]
                    for clock in ("first_response", "resolution")
                    for kind in ("met", "breached", "unmet")
                ),
            )
            for start, count in sorted(opened.items())
        },
    }


def plain(stats: Any) -> dict[str, Any]:
    """A :class:`casehistory.catalog.Stats` in the shape :func:`fold_stats` gives."""
    return {
        "cases": stats.cases,
        "by_status": dict(stats.by_status),
        "by_fault": dict(stats.by_fault),
        "by_channel": dict(stats.by_channel),
        "open_holds": stats.open_holds,
        "on_hold": dict(stats.on_hold),
        "money": {
            (row.period, row.currency): {c: getattr(row, c) for c in COLUMNS} for row in stats.money
        },
        "times": {
            row.period: (
                row.opened,
                (row.first_response.count, row.first_response.median, row.first_response.p90),
                (row.resolution.count, row.resolution.median, row.resolution.p90),
                (
                    row.first_response_sla.met,
                    row.first_response_sla.breached,
                    row.first_response_sla.unmet,
                    row.resolution_sla.met,
                    row.resolution_sla.breached,
                    row.resolution_sla.unmet,
                ),
            )
            for row in stats.times
        },
    }
