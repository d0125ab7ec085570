"""Strategies for business times: :func:`instants`, the clock they stay before
(:data:`CLOCK_START`), the zones they are shown in, and the helpers a history draws its
times with (packed into one choice, moved onto a month's edge, kept in order).

Separate from :mod:`casehistory.testing._values` (money, actors, customers, products,
texts): times have their own arithmetic (seconds since 1970, zones, months' edges) that
no other value shares. :mod:`casehistory.testing._values` imports these names too, so
code that imports them from there is unchanged.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from math import ceil, floor

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

__all__ = [
    "CLOCK_START",
    "FIRST_INSTANT",
    "LAST_INSTANT",
    "ZONES",
    "epoch_seconds",
    "forward_from",
    "instants",
    "near_month_edge",
    "packed_instants",
    "unpack_instant",
]


CLOCK_START = datetime(2026, 11, 1, tzinfo=UTC)
"""2026-11-01 00:00 UTC: every business time drawn by default is before it, so a desk
whose clock starts here (``SteppingClock(CLOCK_START)``) accepts them all."""

FIRST_INSTANT = datetime(2026, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2026, 10, 31, tzinfo=UTC)
"""The default range of :func:`instants`."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _zones() -> tuple[tzinfo, ...]:
    zones: list[tzinfo] = [
        UTC,
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=30)),
    ]
    try:
        from zoneinfo import ZoneInfo

        zones.append(ZoneInfo("Europe/Berlin"))  # a zone with daylight saving: folds, gaps
    except (ImportError, LookupError):  # no time zone database on this machine
        pass
    return tuple(zones)


ZONES = _zones()
"""The time zones :func:`instants` draws from by default, UTC first."""


def _aware(value: object, name: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidArgument(
            f"{name}={value!r} must be a timezone-aware datetime, "
            "e.g. datetime(2026, 3, 2, tzinfo=UTC)"
        )
    return value


def instants(
    *,
    min_value: datetime = FIRST_INSTANT,
    max_value: datetime = LAST_INSTANT,
    timezones: st.SearchStrategy[tzinfo] | None = None,
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes, in whole seconds, whose instant lies from ``min_value``
    to ``max_value``: by default in 2026, up to 2026-10-31 00:00 UTC, a day before
    :data:`CLOCK_START`.

    Each is shown in a zone drawn from ``timezones`` (default: UTC, UTC-05:00,
    UTC+05:30 and Europe/Berlin, whose daylight saving gives folds). The zone matters:
    policies date a command by its business date in its own zone. Shrinks towards
    ``min_value`` in UTC.

    Caveat: a desk refuses a business time later than its own clock; use a clock at or
    after ``max_value``, e.g. ``SteppingClock(CLOCK_START)``.

    >>> from hypothesis import given
    >>> from casehistory.testing.strategies import CLOCK_START, instants
    >>> @given(instants())
    ... def test_before_the_clock(when):
    ...     assert when.tzinfo is not None and when < CLOCK_START
    >>> test_before_the_clock()
    """
    low = _aware(min_value, "min_value").astimezone(UTC)
    high = _aware(max_value, "max_value").astimezone(UTC)
    if low > high:
        raise InvalidArgument(f"min_value={min_value!r} is later than max_value={max_value!r}")
    if timezones is not None and not isinstance(timezones, st.SearchStrategy):
        raise InvalidArgument(f"timezones={timezones!r} must be None or a strategy of tzinfo")
    first = ceil((low - _EPOCH).total_seconds())
    last = floor((high - _EPOCH).total_seconds())
    if first > last:
        raise InvalidArgument(f"no whole second lies between {min_value!r} and {max_value!r}")
    if timezones is None:  # one integer per instant and zone: fast to draw and to shrink
        return packed_instants(first, last).map(functools.partial(unpack_instant, first))
    seconds = st.integers(first, last)
    return st.builds(
        lambda zone, n: (_EPOCH + timedelta(seconds=n)).astimezone(zone), timezones, seconds
    )


def packed_instants(first: int, last: int) -> st.SearchStrategy[int]:
    """Integers ``n`` that :func:`unpack_instant` turns into an instant and a zone."""
    return st.integers(0, (last - first + 1) * len(ZONES) - 1)


def unpack_instant(first: int, n: int) -> datetime:
    """Second ``first + n // len(ZONES)`` after 1970 (UTC), in zone ``ZONES[n % len(ZONES)]``;
    so shrinking ``n`` moves towards the first second, in UTC."""
    seconds, zone = divmod(n, len(ZONES))
    return (_EPOCH + timedelta(seconds=first + seconds)).astimezone(ZONES[zone])


def epoch_seconds(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds())


_HALF_DAY = 12 * 3600
_FORWARD_GAP = 4 * 24 * 3600


def near_month_edge(when: datetime) -> datetime:
    """``when`` moved next to a start of a month in UTC, in a zone other than UTC: the
    same draw, now on a month's edge, where a month read in local time differs from the
    month in UTC.

    The month (February to October) and the distance from its edge come from the draw
    itself, so that draws close together (Hypothesis favours small numbers: times
    early in January) still spread over the year. A time drawn in UTC, where the two
    months never differ, is shown in one of the other zones. It lands within the
    zone's offset of the edge, seven times in eight on the side where the local month
    is not the UTC month (before the edge in UTC for a zone east of it, after it for
    one west), the other time on the other side."""
    seconds = epoch_seconds(when) - epoch_seconds(FIRST_INSTANT)
    zone = when.tzinfo
    others = [z for z in ZONES if z is not UTC]
    if not when.utcoffset() and others:
        zone = others[seconds % len(others)]
    edge = datetime(2026, 2 + (seconds // 7) % 9, 1, tzinfo=UTC)
    offset = edge.astimezone(zone).utcoffset() or timedelta(0)
    span = int(abs(offset).total_seconds()) or _HALF_DAY // 2
    # Seven in eight towards the side where the months differ, 0 among them: the time
    # the shrinker tries first still shows the difference.
    toward = (seconds // 3) % 8 != 7
    east = offset > timedelta(0)
    before = east if toward else not east
    distance = timedelta(seconds=1 + seconds % (span - 1))
    return (edge - distance if before else edge + distance).astimezone(zone)


def forward_from(latest: datetime, when: datetime) -> datetime:
    """A business time at or after ``latest``: ``latest`` plus up to four days, the gap
    taken from the drawn ``when`` (so shrinking ``when`` shrinks the gap to none), in
    ``when``'s zone; never past the default range of :func:`instants`."""
    gap = timedelta(seconds=(epoch_seconds(when) - epoch_seconds(FIRST_INSTANT)) % _FORWARD_GAP)
    return max(min(latest + gap, LAST_INSTANT), latest).astimezone(when.tzinfo)
