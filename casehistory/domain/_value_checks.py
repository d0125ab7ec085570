"""The checks the value objects and the commands apply to what they are given: an
instance of a type, a bounded free text, an aware time (and :func:`as_stored`, the form
a checked time is recorded in), and the attrs validators built on them.

Separate from :mod:`casehistory.domain.values`, which holds the vocabulary that stored
events and snapshots hold (enums and value classes, which stay where they are): these are
functions and constants only, never stored, imported again from there where public.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from typing import Any, TypeVar

import attrs

from casehistory.domain.sealed import Sealed
from casehistory.errors import InvalidInput

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_TEXT_BYTES",
    "as_stored",
    "instance_validator",
    "require_aware",
    "require_instance",
    "require_text",
]

_T = TypeVar("_T")


def require_instance(value: object, kind: type[_T], name: str) -> _T:
    """Return ``value`` if it is a ``kind``, else raise :class:`InvalidInput` (naming the
    members when ``kind`` is an enum)."""
    if not isinstance(value, kind):
        choices = f" ({', '.join(m.name for m in kind)})" if issubclass(kind, Enum) else ""
        article = "an" if kind.__name__[0] in "AEIO" else "a"  # a UUID, an Actor
        raise InvalidInput(f"{name} must be {article} {kind.__name__}{choices}, got {value!r}")
    return value


MAX_TEXT_BYTES = 64 * 1024
"""The most a free text (a note, a subject, a reason, a name, a reference) may hold:
64 KiB of UTF-8. Case text is written by people; a bound keeps one careless or hostile
call from making an event, a snapshot and every load of its case arbitrarily large."""


MAX_EVENT_BYTES = 1024 * 1024
"""The most one event may hold: 1 MiB of the canonical JSON its digest covers (its row in
the store is a little larger, with type tags). Free texts are bounded first, so this
binds only a command with many long texts; it keeps every row a store is sent small
enough to write well inside the store's statement timeout (docs/operations.md)."""


def require_text(value: object, name: str) -> str:
    """Return ``value`` if it is a non-blank string the store can encode (UTF-8), of at
    most :data:`MAX_TEXT_BYTES` bytes. A sealed text (a replay of what was recorded) was
    checked before it was sealed, and is returned as it is."""
    if isinstance(value, Sealed):
        return value  # type: ignore[return-value]  # a personal text as recorded
    if not isinstance(value, str) or not value.strip():
        # Never the value itself unless it is blank: a text may be personal, and an error
        # message ends up in logs and terminals that no erasure reaches.
        got = repr(value[:200]) if isinstance(value, str) else type(value).__name__
        raise InvalidInput(f"{name} must be a non-empty string, got {got}")
    if len(value) > MAX_TEXT_BYTES:  # each character is at least one byte: too long
        _too_long(name, len(value), "characters")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise InvalidInput(
            f"{name} is not valid Unicode text: it holds a lone surrogate at character "
            f"{error.start} of {len(value):,} (the text itself is not repeated here)"
        ) from None
    if size > MAX_TEXT_BYTES:
        _too_long(name, size, "bytes of UTF-8")
    return value


def _too_long(name: str, size: int, unit: str) -> None:
    raise InvalidInput(
        f"{name} is {size:,} {unit} long (rule: a text holds at most {MAX_TEXT_BYTES:,} "
        "bytes of UTF-8); shorten it, or keep the document elsewhere and record its reference"
    )


def require_aware(value: object, name: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise :class:`InvalidInput`."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must be a timezone-aware datetime, got {value!r}; "
            "give it a tzinfo, e.g. datetime(2026, 3, 2, 9, 0, tzinfo=UTC)"
        )
    return value


def as_stored(at: datetime) -> datetime:
    """``at`` (aware) as the store gives it back: the same instant and wall time, at its
    fixed UTC offset. A time given in a named zone (a ``ZoneInfo``) inside the hour that
    repeats when clocks go back is never equal to one in another zone (PEP 495), so a
    case kept in memory with the time as given would differ from the same case read from
    the store; every recorded time is kept in this form instead."""
    tzinfo = at.tzinfo
    if type(tzinfo) is timezone or tzinfo is None:
        return at
    offset = at.utcoffset()
    return at if offset is None else at.replace(tzinfo=timezone(offset), fold=0)


def _check_text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    require_text(value, attribute.name)


def _check_personal_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Sealed):  # sealed: checked as text before it was sealed
        require_text(value, attribute.name)


def _check_optional_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Sealed):
        require_text(value, attribute.name)


def instance_validator(kind: type[Any]) -> Any:
    """An attrs validator that raises :class:`InvalidInput` unless the value is a ``kind``."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        require_instance(value, kind, attribute.name)

    return check


def _check_date(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{attribute.name} must be a date, got {value!r}")
