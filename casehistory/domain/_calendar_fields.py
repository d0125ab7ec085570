"""The parameters of a :class:`~casehistory.domain.calendar.BusinessCalendar`, each read
and checked as the calendar takes it (a timezone name, working days, years, dates, local
times, codes), and a mapping of exactly the keys a policy's parameters hold. Each
refusal is an :class:`~casehistory.errors.InvalidInput` that says what to give."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from casehistory.errors import InvalidInput

__all__ = [
    "WEEKDAYS",
    "clock_text",
    "clock_time",
    "dates",
    "exact_keys",
    "optional_code",
    "working_days",
    "years",
    "zone",
]

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
"""Names of the days, indexed like ``date.weekday()`` (and ``calendar.MONDAY``): 0 is Monday."""

_FIRST_YEAR, _LAST_YEAR, _MOST_YEARS = 1900, 9998, 200


def zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"timezone must be an IANA name such as 'Europe/London', got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone {name!r:.100} is not in the IANA time zone database; give a name such as "
            "'Europe/London' or 'America/New_York' (if the name is right, install tzdata)"
        ) from None


def working_days(value: object) -> frozenset[int]:
    items = [value] if isinstance(value, int | str) else value
    if not isinstance(items, Iterable):
        raise InvalidInput(f"working_days must be days 0-6 or names MON-SUN, got {value!r:.100}")
    days = set()
    for day in items:
        if isinstance(day, str) and day.upper() in WEEKDAYS:
            days.add(WEEKDAYS.index(day.upper()))
        elif isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
            days.add(day)
        else:
            raise InvalidInput(
                f"working day {day!r:.50} is no day: give 0 (Monday) to 6 (Sunday) or a name "
                f"of {', '.join(WEEKDAYS)}"
            )
    if not days:
        raise InvalidInput(
            "working_days is empty: a desk that never opens has no business time; name at "
            "least one day, e.g. working_days=range(5) for Monday to Friday"
        )
    return frozenset(days)


def years(value: object) -> tuple[int, int]:
    pair = tuple(value) if isinstance(value, list | tuple) else ()
    if (
        len(pair) != 2
        or not all(isinstance(y, int) and not isinstance(y, bool) for y in pair)
        or not _FIRST_YEAR <= pair[0] <= pair[1] <= _LAST_YEAR
        or pair[1] - pair[0] >= _MOST_YEARS
    ):
        raise InvalidInput(
            f"years must be (first, last) with {_FIRST_YEAR} <= first <= last <= {_LAST_YEAR} "
            f"and at most {_MOST_YEARS} years, got {value!r:.100}; e.g. years=(2020, 2039)"
        )
    return (pair[0], pair[1])


def dates(value: object) -> frozenset[date]:
    if isinstance(value, date | str) or not isinstance(value, Iterable):
        raise InvalidInput(f"expected a collection of dates, got {value!r:.100}")
    found = set()
    for item in value:
        if not isinstance(item, date) or isinstance(item, datetime):
            raise InvalidInput(f"expected a date such as date(2026, 12, 24), got {item!r:.100}")
        found.add(item)
    return frozenset(found)


def clock_time(_: object, attribute: attrs.Attribute[time], value: object) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise InvalidInput(
            f"{attribute.name} must be a local time of day without tzinfo, e.g. time(9, 0), "
            f"got {value!r:.100}; the calendar's timezone says where it is read"
        )


def optional_code(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value or len(value) > 20):
        raise InvalidInput(
            f"{attribute.name} must be a code such as 'GB' or 'US' (or None), got {value!r:.100}"
        )


def clock_text(value: time) -> str:
    return "24:00:00" if value == time(0) else value.isoformat()


def exact_keys(parameters: object, keys: frozenset[str], what: str) -> Mapping[str, Any]:
    if not isinstance(parameters, Mapping):
        raise InvalidInput(f"{what} must be a mapping, got {type(parameters).__name__}")
    given = set(parameters)
    if given != keys:
        missing, unknown = sorted(keys - given), sorted(map(str, given - keys))
        raise InvalidInput(
            f"{what} must have exactly the keys {', '.join(sorted(keys))}; missing "
            f"{missing or 'none'}, unknown {unknown or 'none'}"
        )
    return MappingProxyType(dict(parameters))
