"""The parameters of an :class:`~casehistory.domain.sla.SlaPolicy`, each checked as the
policy takes it (a target, the policy's id and version, its calendar) and read back from
its recorded JSON form (whole seconds), and a clock's durations written as JSON seconds.
Each refusal is an :class:`~casehistory.errors.InvalidInput` that says what to give.

Separate from :mod:`casehistory.domain.sla`, where the policy, its terms and its clocks
stay (attrs value classes, recorded on cases): these are validators, converters and
constants only, never stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from casehistory.domain._calendar_fields import exact_keys
from casehistory.domain.calendar import BusinessCalendar
from casehistory.domain.values import require_text
from casehistory.errors import InvalidInput

_MOST_TARGET = timedelta(days=366)  # a year of round-the-clock business time
_LONGEST_ID = 200
_SECOND = timedelta(seconds=1)


def _target(value: object, name: str) -> timedelta:
    if (
        not isinstance(value, timedelta)
        or value <= timedelta(0)
        or value > _MOST_TARGET
        or value.microseconds
    ):
        raise InvalidInput(
            f"{name} must be a timedelta of whole seconds, more than zero and at most "
            f"{_MOST_TARGET.days} days, got {value!r:.100}; e.g. timedelta(hours=4)"
        )
    return value


def _optional_target(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _target(value, attribute.name)


def _required_target(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _target(value, attribute.name)


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else value // _SECOND


def _policy_id(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    require_text(value, attribute.name)
    if len(str(value)) > _LONGEST_ID:
        raise InvalidInput(f"{attribute.name} must be at most {_LONGEST_ID} characters")


def _version(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**53:
        raise InvalidInput(
            f"{attribute.name} must be a whole number from 1 to 2**53 - 1, got {value!r:.80}"
        )


def _calendar(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, BusinessCalendar):
        raise InvalidInput(f"calendar must be a BusinessCalendar, got {value!r:.100}")


def _five_business_days(calendar: object) -> timedelta:
    _calendar(None, None, calendar)  # type: ignore[arg-type]
    assert isinstance(calendar, BusinessCalendar)
    return 5 * calendar.business_day


def _duration(seconds: object) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise InvalidInput(f"a target must be a whole number of seconds, got {seconds!r:.100}")
    if abs(seconds) > _MOST_TARGET // _SECOND:  # timedelta itself overflows past 10**14
        raise InvalidInput(
            f"a target of {seconds:,} seconds is more than {_MOST_TARGET.days} days; "
            "give a shorter one"
        )
    return timedelta(seconds=seconds)


def _channel_targets(targets: object) -> dict[str, timedelta | None]:
    keys = frozenset({"first_response_seconds", "resolution_seconds"})
    given = exact_keys(targets, keys, "a channel's targets")
    return {
        name.removesuffix("_seconds"): None if value is None else _duration(value)
        for name, value in given.items()
    }


_POLICY_KEYS = frozenset(
    {
        "policy_id",
        "version",
        "first_response_seconds",
        "resolution_seconds",
        "channels",
        "calendar",
    }
)


def _json_seconds(value: timedelta) -> int | float:
    whole, rest = divmod(value, _SECOND)
    return whole if not rest else value / _SECOND
