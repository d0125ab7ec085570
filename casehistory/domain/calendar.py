"""Business time: when a desk is open, how much open time lies between two instants, and
when a business duration runs out.

A :class:`BusinessCalendar` is a timezone (an IANA name), working days, opening and
closing times read on the local wall clock, public holidays (from the ``holidays``
package by country and subdivision) and extra closed dates. The desk is **open at an
instant** when the local wall clock at that instant reads a working day that is neither
a holiday nor a closed date, at or after ``opens`` and before ``closes``. Business time
is the real (absolute) time during which the desk is open, so a day on which the clocks
change inside opening hours has an hour more or less; on every other day it is exactly
``closes - opens``.

Holidays are resolved into explicit dates over the calendar's ``years`` when it is made:
a later release of ``holidays`` that moves a date changes neither a calendar rebuilt
with :meth:`BusinessCalendar.from_parameters` nor its :attr:`BusinessCalendar.digest`.
Instants outside those years are refused rather than guessed about.

Pure: no I/O but reading the timezone database, no wall clock. The arithmetic steps by
opening period (one or two a day), never by minute, and each day's periods are computed
once per calendar.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from casehistory.domain import _calendar_fields as given
from casehistory.domain._calendar_fields import WEEKDAYS
from casehistory.domain._open_time import OpenTime
from casehistory.domain.chain import canonical_json
from casehistory.domain.values import require_aware
from casehistory.errors import InvalidInput

__all__ = ["DEFAULT_CALENDAR", "WEEKDAYS", "BusinessCalendar"]

_US = timedelta(microseconds=1)
_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_HOUR = 3_600_000_000
_DAY = 24 * _HOUR
# No UTC offset in the tz database reaches 16 hours (the widest, local mean times of the
# 19th century, stay under 16): the instants whose wall clock reads a given day lie within
# 16 hours of that day's UTC midnights. The sampling step assumes no zone changes its
# offset twice within 3 hours, which none does.
_REACH = 16 * _HOUR
_SAMPLE = 3 * _HOUR


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _US


def _instant(micros: int) -> datetime:
    return _EPOCH + _US * micros


def _local_micros(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


@attrs.frozen(kw_only=True)
class BusinessCalendar:
    """When a desk is open: a timezone, working days and hours, holidays and closed dates.

    ``working_days`` are numbers as ``date.weekday()`` gives them (0 is Monday) or
    names (``"MON"``). ``opens`` and ``closes`` are read on the local wall clock;
    ``closes=time(0)`` means midnight at the end of the day. ``country`` and
    ``subdivision`` are the codes of the ``holidays`` package (``"GB"``, ``"US"`` with
    ``"CA"``), its public holidays with their observed (substitute) days, resolved for
    ``years`` (first and last, inclusive); ``holiday_dates`` given explicitly replace
    that lookup (as :meth:`from_parameters` does, so a recorded calendar is rebuilt
    exactly). ``closed_dates`` are further days the desk is shut. The default is Monday
    to Friday, 09:00-17:00 UTC, no holidays.

    ``attrs.evolve`` keeps the resolved ``holiday_dates``: to change ``country``,
    ``subdivision`` or ``years``, pass ``holiday_dates=None`` too (or make a new one).
    """

    timezone: str = "UTC"
    working_days: frozenset[int] = attrs.field(
        default=frozenset(range(5)), converter=given.working_days
    )
    opens: time = attrs.field(default=time(9), validator=given.clock_time)
    closes: time = attrs.field(default=time(17), validator=given.clock_time)
    country: str | None = attrs.field(default=None, validator=given.optional_code)
    subdivision: str | None = attrs.field(default=None, validator=given.optional_code)
    years: tuple[int, int] = attrs.field(default=(2000, 2099), converter=given.years)
    closed_dates: frozenset[date] = attrs.field(default=frozenset(), converter=given.dates)
    holiday_dates: frozenset[date] = attrs.field(
        default=None, converter=attrs.converters.optional(given.dates)
    )
    _zone: ZoneInfo = attrs.field(init=False, eq=False, repr=False)
    _shut: frozenset[date] = attrs.field(init=False, eq=False, repr=False)
    _days: dict[int, tuple[tuple[int, int], ...]] = attrs.field(init=False, eq=False, repr=False)
    _memo: dict[str, Any] = attrs.field(init=False, eq=False, repr=False)
    _open: OpenTime = attrs.field(init=False, eq=False, repr=False)
    _first: int = attrs.field(init=False, eq=False, repr=False)
    _last: int = attrs.field(init=False, eq=False, repr=False)
    _inside: tuple[int, int] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        init = object.__setattr__
        init(self, "_zone", given.zone(self.timezone))
        if self._close_micros <= _local_micros(self.opens):
            raise InvalidInput(
                f"opens {self.opens.isoformat()} must be before closes "
                f"{given.clock_text(self.closes)}: a day needs some open time; for a desk open "
                "until midnight give closes=time(0)"
            )
        if self.subdivision is not None and self.country is None:
            raise InvalidInput(
                f"subdivision {self.subdivision!r} needs a country, e.g. country='US', "
                f"subdivision={self.subdivision!r}"
            )
        if self.holiday_dates is None:
            init(self, "holiday_dates", self._resolve_holidays())
        first, last = self.years
        for kind, dates in (("closed date", self.closed_dates), ("holiday", self.holiday_dates)):
            outside = sorted(d for d in dates if not first <= d.year <= last)
            if outside:
                raise InvalidInput(
                    f"{kind} {outside[0].isoformat()} is outside the calendar's years "
                    f"{first}-{last}; widen years or leave the date out"
                )
        init(self, "_shut", self.closed_dates | self.holiday_dates)
        init(self, "_days", {})
        init(self, "_memo", {})
        init(self, "_open", OpenTime(self._periods))
        init(self, "_first", date(first, 1, 1).toordinal())
        init(self, "_last", date(last, 12, 31).toordinal())
        init(
            self,
            "_inside",
            (
                (self._first - _EPOCH_DAY) * _DAY + _REACH,
                (self._last + 1 - _EPOCH_DAY) * _DAY - _REACH - 1,
            ),
        )

    def _resolve_holidays(self) -> frozenset[date]:
        if self.country is None:
            return frozenset()
        import holidays  # imported here: it takes ~0.1 s, and most calendars have none

        first, last = self.years
        try:
            found = holidays.country_holidays(
                self.country, subdiv=self.subdivision, years=range(first, last + 1)
            )
        except NotImplementedError as error:
            raise InvalidInput(
                f"the holidays package does not know country {self.country!r} with subdivision "
                f"{self.subdivision!r} ({error}); give an ISO 3166 code it lists, e.g. 'GB', "
                "'US' with subdivision 'CA', or no country and the dates as closed_dates"
            ) from None
        return frozenset(d for d in found if first <= d.year <= last)

    @property
    def zone(self) -> ZoneInfo:
        """The timezone, for reading an instant on the desk's wall clock."""
        return self._zone

    @property
    def _close_micros(self) -> int:
        return _DAY if self.closes == time(0) else _local_micros(self.closes)

    @property
    def business_day(self) -> timedelta:
        """The length of one business day: ``closes - opens`` on the wall clock (8 hours by
        default). A day on which the clocks change inside opening hours is really an hour
        longer or shorter; this is the nominal length policies count "business days" in."""
        return timedelta(microseconds=self._close_micros - _local_micros(self.opens))

    @property
    def first_day(self) -> date:
        """The first day the calendar covers (1 January of its first year)."""
        return date(self.years[0], 1, 1)

    @property
    def last_day(self) -> date:
        """The last day the calendar covers (31 December of its last year)."""
        return date(self.years[1], 12, 31)

    # -- what it records -------------------------------------------------------------

    def parameters(self) -> dict[str, Any]:
        """Everything that decides the calendar's answers, as plain JSON: the timezone, the
        working days by name, the hours (``"24:00:00"`` for a close at midnight), the
        holiday source, the years and the resolved holiday and closed dates (ISO, sorted)."""
        return {
            "timezone": self.timezone,
            "working_days": [WEEKDAYS[d] for d in sorted(self.working_days)],
            "opens": self.opens.isoformat(),
            "closes": given.clock_text(self.closes),
            "country": self.country,
            "subdivision": self.subdivision,
            "years": list(self.years),
            "holidays": list(self._iso("holidays", self.holiday_dates)),
            "closed_dates": list(self._iso("closed_dates", self.closed_dates)),
        }

    def _iso(self, name: str, dates: frozenset[date]) -> tuple[str, ...]:
        # A century of holidays is ~1,000 dates: written once, not on every digest.
        if name not in self._memo:
            self._memo[name] = tuple(sorted(d.isoformat() for d in dates))
        return tuple(self._memo[name])

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the RFC 8785 canonical JSON of :meth:`parameters`."""
        if "digest" not in self._memo:
            self._memo["digest"] = hashlib.sha256(canonical_json(self.parameters())).hexdigest()
        return str(self._memo["digest"])

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> BusinessCalendar:
        """The calendar that :meth:`parameters` describes, holidays as recorded (the
        ``holidays`` package is not consulted, so its later releases change nothing)."""
        fields = dict(given.exact_keys(parameters, _CALENDAR_KEYS, "calendar parameters"))
        try:
            opens = time.fromisoformat(fields["opens"])
            closes_text = fields["closes"]
            closes = time(0) if closes_text == "24:00:00" else time.fromisoformat(closes_text)
            holidays = [date.fromisoformat(d) for d in fields["holidays"]]
            closed = [date.fromisoformat(d) for d in fields["closed_dates"]]
        except (TypeError, ValueError) as error:
            raise InvalidInput(
                f"calendar parameters hold a time or date that is not ISO 8601 ({error}); "
                "give them as BusinessCalendar.parameters() writes them"
            ) from None
        return cls(
            timezone=fields["timezone"],
            working_days=fields["working_days"],
            opens=opens,
            closes=closes,
            country=fields["country"],
            subdivision=fields["subdivision"],
            years=fields["years"],
            closed_dates=closed,
            holiday_dates=holidays,
        )

    # -- questions -------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at instant ``at`` (any timezone)."""
        local = require_aware(at, "at").astimezone(self._zone)
        self._require_covered(local.date(), at)
        if local.weekday() not in self.working_days or local.date() in self._shut:
            return False
        reading = _local_micros(local.time())
        return _local_micros(self.opens) <= reading < self._close_micros

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The business time from ``start`` to ``end``: how long the desk is open between
        them. Both timezone-aware (any timezone); ``end`` not before ``start``."""
        begin, finish = self._span(start, end)
        return _US * self._open.elapsed(begin, finish)

    def due(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant (in UTC) by which ``duration`` of business time has elapsed
        after ``start``: ``elapsed(start, due(start, d)) == d``. A zero duration is due
        at ``start``; a duration that ends exactly at a close is due at that close."""
        at = require_aware(start, "start")
        if not isinstance(duration, timedelta) or duration < _ZERO:
            raise InvalidInput(
                f"a business duration must be a timedelta of zero or more, got {duration!r:.100}"
            )
        begin = _micros(at)
        self._covered(begin, at)
        left = duration // _US
        if left == 0:
            return at.astimezone(UTC)
        # Even a desk open round the clock cannot give more than a day per remaining day:
        # an enormous duration is refused at once instead of counted towards.
        first = (begin - _REACH) // _DAY + _EPOCH_DAY
        if left <= (self._last - first + 2) * _DAY:
            due = self._open.due(begin, left, (self._last + 1 - _EPOCH_DAY) * _DAY + _REACH)
            if due is not None:
                return _instant(due)
        raise InvalidInput(
            f"a business duration of {duration} from {at.isoformat()} does not run out by "
            f"the end of the calendar's years {self.years[0]}-{self.years[1]}; give the "
            "calendar a later last year, or a shorter duration"
        )

    # -- the arithmetic --------------------------------------------------------------

    def _span(self, start: datetime, end: datetime) -> tuple[int, int]:
        begin, finish = require_aware(start, "start"), require_aware(end, "end")
        low, high = _micros(begin), _micros(finish)
        if high < low:
            raise InvalidInput(
                f"end {finish.isoformat()} is before start {begin.isoformat()}; business time "
                "is measured forwards: swap them"
            )
        self._covered(low, begin)
        self._covered(high, finish)
        return low, high

    def _covered(self, micros: int, at: datetime) -> None:
        """Refuse an instant whose local day is outside the years: read on the local
        clock only near the ends of the years (any offset is under ``_REACH``)."""
        if not self._inside[0] <= micros <= self._inside[1]:
            self._require_covered(at.astimezone(self._zone).date(), at)

    def _require_covered(self, day: date, at: datetime) -> None:
        if not self._first <= day.toordinal() <= self._last:
            raise InvalidInput(
                f"{at.isoformat()} falls on {day.isoformat()}, outside the calendar's years "
                f"{self.years[0]}-{self.years[1]} (its holidays are known only for those); "
                "make a calendar whose years cover it"
            )

    def _periods(self, day: int) -> tuple[tuple[int, int], ...]:
        """The open periods (UTC microseconds, half-open) of the local day ``day`` (an
        ordinal): the instants whose wall clock reads that day between opens and closes."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = self._compute_periods(day)
        return found

    def _compute_periods(self, day: int) -> tuple[tuple[int, int], ...]:
        when = date.fromordinal(day)
        if (
            when.weekday() not in self.working_days
            or when in self._shut
            or not self._first <= day <= self._last
        ):
            return ()
        midnight = (day - _EPOCH_DAY) * _DAY
        low = midnight + _local_micros(self.opens)
        high = midnight + self._close_micros
        opening = datetime.combine(when, self.opens)
        closing = opening + timedelta(microseconds=high - low)
        offsets = {
            moment.replace(tzinfo=self._zone, fold=fold).utcoffset()
            for moment in (opening, closing)
            for fold in (0, 1)
        }
        if len(offsets) == 1:  # both ends read once, at one offset: an ordinary day
            offset = offsets.pop()
            assert offset is not None
            return ((low - offset // _US, high - offset // _US),)
        return self._periods_across_a_change(low, high)

    def _periods_across_a_change(self, low: int, high: int) -> tuple[tuple[int, int], ...]:
        """The periods of a day on which the offset changes near opening hours: for each
        stretch of constant offset, the instants whose reading falls in [low, high)."""
        edges = [low - _REACH]
        offsets = [self._offset_at(edges[0])]
        point = edges[0]
        while point < high + _REACH:
            later = min(point + _SAMPLE, high + _REACH)
            offset = self._offset_at(later)
            if offset != offsets[-1]:
                before, after = point, later  # the change is in (before, after]
                while after - before > 1:
                    middle = (before + after) // 2
                    if self._offset_at(middle) == offsets[-1]:
                        before = middle
                    else:
                        after = middle
                edges.append(after)
                offsets.append(offset)
            point = later
        edges.append(high + _REACH)
        periods: list[tuple[int, int]] = []
        for begin, end, offset in zip(edges, edges[1:], offsets, strict=False):
            start, stop = max(begin, low - offset), min(end, high - offset)
            if start >= stop:
                continue
            if periods and periods[-1][1] == start:
                start = periods.pop()[0]
            periods.append((start, stop))
        return tuple(periods)

    def _offset_at(self, micros: int) -> int:
        offset = _instant(micros).astimezone(self._zone).utcoffset()
        assert offset is not None
        return offset // _US


_CALENDAR_KEYS = frozenset(BusinessCalendar().parameters())


DEFAULT_CALENDAR = BusinessCalendar()
"""Monday to Friday, 09:00-17:00 UTC, no holidays, years 2000-2099."""
