"""``desk.catalog.stats()``: the figures a team lead asks for each morning, from the
catalog's tables, without loading a case: their types, their definitions, and the
:class:`Tally` they are summed in.

Definitions (docs/catalog.md, "Stats"):

- **Counts** by status, fault and channel: the cases that match the filters, every
  member of each enumeration listed (zeros too), in the enumeration's order.
- **Money per period**: what each ledger column moved (paid, refunded, credited,
  goodwill, held, released) per currency, in the period of the event's **business
  time** (``occurred_at``), from ``catalog_ledger``. Amounts are summed as Decimal
  (SQLite keeps them as text; never a float).
- **Holds outstanding**: held less released, per currency, over the cases with an open
  hold (``catalog_money.on_hold``).
- **Times** per period of **opening** (each case counts in the period it was opened in):
  the wall-clock time elapsed from the opening to the first response and to the
  resolution that stands (not business time: the SLA clocks count that), median and
  90th percentile by the nearest-rank method (the smallest time that at least half, or
  nine in ten, of the cases took no longer than: always one of the times measured). A
  response or resolution dated before the opening counts as no time. Cases with no
  response (or no standing resolution) yet are left out of those figures.
- **SLA breaches** per period of opening, per clock, as of ``now``: met in time,
  breached (met late, or past due and not met), or neither (unmet). Cases the catalog holds
  no SLA terms for are in none of the three.

Periods are UTC calendar periods: months, ISO weeks (Monday to Sunday) or days.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Channel, Fault
from casehistory.errors import InvalidInput

__all__ = [
    "PERIODS",
    "ZERO",
    "Elapsed",
    "MoneyMoved",
    "PeriodTimes",
    "SlaOutcomes",
    "Stats",
    "Tally",
    "duration_text",
    "period_label",
    "period_start",
    "require_period",
    "summary",
]

PERIODS = ("month", "week", "day")
"""The periods stats are given per (UTC calendar periods; weeks are ISO weeks)."""

ZERO = Decimal("0.00")
"""Zero, as the ledger writes a column nothing moved."""


def _frozen_map(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


def _seconds(value: timedelta | None) -> int | float | None:
    if value is None:
        return None
    whole, rest = divmod(value, timedelta(seconds=1))
    return whole if not rest else value.total_seconds()


@attrs.frozen
class Elapsed:
    """Wall-clock times from the opening (not business time): how many were measured,
    their median and 90th percentile (nearest rank; None when none was measured)."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    def as_json(self) -> dict[str, Any]:
        """Times in seconds (an integer when whole), null when none was measured."""
        return {"count": self.count, "median": _seconds(self.median), "p90": _seconds(self.p90)}


@attrs.frozen
class SlaOutcomes:
    """One SLA clock of the cases opened in a period, as of the stats' ``as_of``."""

    met: int
    """Met by the due time."""
    breached: int
    """Met after the due time, or not met and past it (a breach is never undone)."""
    unmet: int
    """Neither (yet): not met and not past due, or paused before its due time (a case
    closed without a contact owes no response while it stays closed)."""

    @property
    def rate(self) -> float | None:
        """Breached among the decided (met or breached); None when none is decided."""
        decided = self.met + self.breached
        return self.breached / decided if decided else None

    def as_json(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "met": self.met,
            "breached": self.breached,
            "unmet": self.unmet,
            "rate": None if rate is None else round(rate, 4),
        }


@attrs.frozen
class MoneyMoved:
    """What the ledger moved in one currency in one period (by business time)."""

    period: str
    start: date
    currency: str
    paid: Decimal
    refunded: Decimal
    credited: Decimal
    goodwill: Decimal
    held: Decimal
    released: Decimal


@attrs.frozen
class PeriodTimes:
    """The cases opened in one period: how many, their times, their SLA clocks."""

    period: str
    start: date
    opened: int
    first_response: Elapsed
    """Wall time from the opening to the first response, of those responded to."""
    resolution: Elapsed
    """Wall time from the opening to the resolution that stands, of those resolved."""
    first_response_sla: SlaOutcomes
    resolution_sla: SlaOutcomes


@attrs.frozen
class Stats:
    """What ``desk.catalog.stats()`` answers (see docs/catalog.md, "Stats")."""

    period: str
    """``"month"``, ``"week"`` or ``"day"``."""
    as_of: datetime
    """The moment SLA breaches are judged at."""
    cases: int
    by_status: Mapping[str, int] = attrs.field(converter=_frozen_map)
    by_fault: Mapping[str, int] = attrs.field(converter=_frozen_map)
    by_channel: Mapping[str, int] = attrs.field(converter=_frozen_map)
    money: tuple[MoneyMoved, ...]
    """Per period (oldest first), then currency: only those in which money moved."""
    on_hold: Mapping[str, Decimal] = attrs.field(converter=_frozen_map)
    """Holds outstanding (held less released) per currency, where any is."""
    open_holds: int
    """Holds open (placed and not wholly released), over every case counted."""
    times: tuple[PeriodTimes, ...]
    """Per period of opening, oldest first: only periods in which a case was opened."""
    behind: int = 0
    """Events the answer may not count (a read-only reader of a catalog behind the log)."""

    def as_json(self) -> dict[str, Any]:
        """Plain JSON: amounts as strings (exact), times in seconds, dates ISO 8601."""
        return {
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "behind": self.behind,
            "cases": self.cases,
            "by_status": dict(self.by_status),
            "by_fault": dict(self.by_fault),
            "by_channel": dict(self.by_channel),
            "open_holds": self.open_holds,
            "on_hold": {currency: str(amount) for currency, amount in self.on_hold.items()},
            "money": [
                {
                    "period": row.period,
                    "start": row.start.isoformat(),
                    "currency": row.currency,
                    **{column: str(getattr(row, column)) for column in LEDGER_COLUMNS},
                }
                for row in self.money
            ],
            "times": [
                {
                    "period": row.period,
                    "start": row.start.isoformat(),
                    "opened": row.opened,
                    "first_response": row.first_response.as_json(),
                    "resolution": row.resolution.as_json(),
                    "first_response_sla": row.first_response_sla.as_json(),
                    "resolution_sla": row.resolution_sla.as_json(),
                }
                for row in self.times
            ],
        }


@functools.lru_cache(maxsize=4096)
def _start(period: str, day: date) -> date:
    if period == "month":
        return day.replace(day=1)
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day


@functools.lru_cache(maxsize=4096)
def _day_of_text(text: str) -> date:
    return date.fromisoformat(text)


def period_start(period: str, moment: datetime | str) -> date:
    """The first day of the UTC ``period`` holding ``moment`` (an aware datetime, or
    the catalog's UTC ISO text on SQLite)."""
    day = _day_of_text(moment[:10]) if isinstance(moment, str) else moment.astimezone(UTC).date()
    return _start(period, day)


def period_label(period: str, start: date) -> str:
    """``2026-03`` (a month), ``2026-W10`` (an ISO week), ``2026-03-05`` (a day)."""
    if period == "month":
        return f"{start:%Y-%m}"
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def duration_text(value: timedelta | None) -> str:
    """For people: 38d 17h25m, 3h05m, 4m (minutes, seconds dropped), 12s below a
    minute, a dash for none."""
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    days, rest = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h{minutes:02d}m"
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def require_period(period: object) -> str:
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}, got {period!r:.40}")
    return str(period)


def _percentile(ordered: list[timedelta], percent: int) -> timedelta | None:
    """Nearest rank: the value at rank ceil(percent/100 * n) of the ``ordered`` values."""
    if not ordered:
        return None
    return ordered[(percent * len(ordered) + 99) // 100 - 1]


def summary(values: list[timedelta]) -> Elapsed:
    """How many ``values``, their median and p90 (nearest rank)."""
    ordered = sorted(values)
    return Elapsed(len(ordered), _percentile(ordered, 50), _percentile(ordered, 90))


_NONE = Elapsed(0, None, None)


@attrs.define
class Tally:
    """Running sums of the stats, which add up: the CLI adds a tally of the stored
    catalog (less the cases it folds again) and one of what it folded in memory."""

    period: str
    status: Counter[str] = attrs.Factory(Counter)
    fault: Counter[str] = attrs.Factory(Counter)
    channel: Counter[str] = attrs.Factory(Counter)
    open_holds: int = 0
    money: dict[tuple[date, str, str], Decimal] = attrs.Factory(dict)
    on_hold: dict[str, Decimal] = attrs.Factory(dict)
    opened: Counter[date] = attrs.Factory(Counter)
    first_response: dict[date, list[timedelta]] = attrs.Factory(dict)
    resolution: dict[date, list[timedelta]] = attrs.Factory(dict)
    sla: Counter[tuple[date, str, str]] = attrs.Factory(Counter)
    elapsed: dict[tuple[date, str], Elapsed] | None = None
    """Times the database summed up (median and p90 per period and clock), instead of
    the lists above: such a tally is whole, and adds up with no other."""

    def add(self, other: Tally) -> None:
        """Add ``other`` (a tally of other cases, or other ledger entries) to this one."""
        if self.elapsed is not None or other.elapsed is not None:
            raise ValueError("a tally of percentiles the database computed adds up with none")
        self.status.update(other.status)
        self.fault.update(other.fault)
        self.channel.update(other.channel)
        self.opened.update(other.opened)
        self.sla.update(other.sla)
        self.open_holds += other.open_holds
        for key, amount in other.money.items():
            self.money[key] = self.money.get(key, ZERO) + amount
        for currency, amount in other.on_hold.items():
            self.on_hold[currency] = self.on_hold.get(currency, ZERO) + amount
        for mine_times, theirs_times in (
            (self.first_response, other.first_response),
            (self.resolution, other.resolution),
        ):
            for start, values in theirs_times.items():
                mine_times.setdefault(start, []).extend(values)

    def result(self, as_of: datetime, behind: int = 0) -> Stats:
        period = self.period
        money: dict[tuple[date, str], dict[str, Decimal]] = {}
        for (start, currency, column), amount in self.money.items():
            money.setdefault((start, currency), {})[column] = amount
        moved = tuple(
            MoneyMoved(
                period_label(period, start),
                start,
                currency,
                **{column: columns.get(column, ZERO) for column in LEDGER_COLUMNS},
            )
            for (start, currency), columns in sorted(money.items())
        )
        times = tuple(
            PeriodTimes(
                period=period_label(period, start),
                start=start,
                opened=opened,
                first_response=self._elapsed(start, "first_response"),
                resolution=self._elapsed(start, "resolution"),
                first_response_sla=self._outcomes(start, "first_response"),
                resolution_sla=self._outcomes(start, "resolution"),
            )
            for start, opened in sorted(self.opened.items())
        )
        return Stats(
            period=period,
            as_of=as_of,
            cases=sum(self.status.values()),
            by_status={s.name: self.status[s.name] for s in Status},
            by_fault={f.name: self.fault[f.name] for f in Fault},
            by_channel={c.name: self.channel[c.name] for c in Channel},
            money=moved,
            on_hold={c: a for c, a in sorted(self.on_hold.items()) if a != ZERO},
            open_holds=self.open_holds,
            times=times,
            behind=behind,
        )

    def _elapsed(self, start: date, clock: str) -> Elapsed:
        if self.elapsed is not None:
            return self.elapsed.get((start, clock), _NONE)
        return summary(getattr(self, clock).get(start, []))

    def _outcomes(self, start: date, clock: str) -> SlaOutcomes:
        return SlaOutcomes(*(self.sla[start, clock, kind] for kind in "MBU"))
