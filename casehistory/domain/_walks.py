"""The JSON forms the hash chain writes of a value, each in one walk: :func:`plain_scalar`
and :class:`_Plain` (what a digest covers, see :func:`casehistory.domain.chain.plain`),
:func:`typed` (what a state commitment and a command's fingerprint cover), and
:func:`_plain_json` (whether orjson writes a JSON value's RFC 8785 bytes).

Pure: no I/O, no clock. Public through :mod:`casehistory.domain.chain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from casehistory.domain.sealed import Sealed

__all__ = ["plain_scalar", "span_texts", "time_text", "typed"]


def plain_scalar(value: Any) -> Any:
    """The JSON form of a single value: a decimal or UUID as a string, a time or date in
    ISO 8601, an enum by member name; any other value as it is."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.name
    return value


_SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE doubles: integers exact up to here


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds only what Python's own JSON encoder writes exactly as RFC 8785
    does: ASCII keys (sorted alike by code point and by UTF-16 unit), safe integers, no
    floats (whose shortest forms differ)."""
    kind = type(value)  # the exact types first, in loops: every digest asks this
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_SAFE_INTEGER <= value <= _SAFE_INTEGER)
    if kind is dict:
        for key, item in value.items():
            if not (type(key) is str and key.isascii()) and not (
                isinstance(key, str) and key.isascii()
            ):
                return False
            if not _plain_json(item):
                return False
        return True
    if kind is list:
        return all(map(_plain_json, value))
    # Subclasses, and anything else, by the general rule.
    if isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, list):
        return all(_plain_json(item) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and key.isascii() and _plain_json(item)
            for key, item in value.items()
        )
    return False


class _Plain:
    """:func:`plain`, noting whether the result is what :func:`_plain_json` accepts.

    The types events hold are dispatched by exact type, the commonest first; any other
    value takes :func:`plain`'s own order of checks, so the answers are the same."""

    __slots__ = ("plain",)

    def __init__(self) -> None:
        self.plain = True

    def key(self, name: str) -> str:
        if not (isinstance(name, str) and name.isascii()):
            self.plain = False
        return name

    def of(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or value is None or kind is bool:
            return value
        if kind is datetime:
            return value.isoformat()
        if kind in _PLAIN_ENUMS:
            return value.name
        if kind is Sealed:  # a note's or a contact's text: _general's answer, sooner
            return {"sealed": value.box}
        fields = _PLAIN_FIELDS.get(kind)
        if fields is not None:
            return {name: self.of(getattr(value, name)) for name in fields}
        if kind is int:
            if not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
                self.plain = False
            return value
        if kind is Decimal:
            return str(value)
        return self._general(value)

    def _general(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str):
            if isinstance(value, int) and not isinstance(value, bool):
                self.plain = self.plain and -_SAFE_INTEGER <= value <= _SAFE_INTEGER
            return value
        if isinstance(value, Decimal | UUID | datetime | date | Enum):
            if (
                isinstance(value, Enum)
                and not isinstance(value, Decimal | UUID | datetime | date)
                and len(_PLAIN_ENUMS) < 1024  # classes, not values: a bound for safety only
            ):
                _PLAIN_ENUMS.add(type(value))  # an enum of no other type: its name
            return plain_scalar(value)
        if isinstance(value, Sealed):  # the ciphertext, never the text
            return {"sealed": value.box}
        if attrs.has(type(value)):
            names = tuple(field.name for field in attrs.fields(type(value)))
            if not all(name.isascii() for name in names):
                self.plain = False
            elif len(_PLAIN_FIELDS) < 1024:  # classes, not values: a bound for safety only
                _PLAIN_FIELDS[type(value)] = names
            return {name: self.of(getattr(value, name)) for name in names}
        if isinstance(value, tuple | list):
            return [self.of(item) for item in value]
        if isinstance(value, Mapping):
            if not all(isinstance(key, str) for key in value):
                raise TypeError(f"a mapping with non-string keys has no JSON form: {value!r}")
            return {self.key(key): self.of(item) for key, item in value.items()}
        raise TypeError(f"{type(value).__name__} has no canonical JSON form: {value!r}")


_PLAIN_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names of each attrs class :class:`_Plain` met whose names are all ASCII."""
_PLAIN_ENUMS: set[type] = set()
"""The enum classes :class:`_Plain` met (a member's form is its name)."""


def typed(value: Any) -> Any:
    """A JSON form of a value that keeps its type: unlike :func:`plain`, the decimal
    ``100.00``, the string ``"100.00"`` and the enum member ``OPEN`` and the string
    ``"OPEN"`` all differ. What a state commitment hashes, so that a snapshot whose
    values decode to other types (a status that is a string, and so never ``is``
    CLOSED) cannot match the commitment of the state it imitates."""
    return _Typed().of(value)


def _spans(value: Sequence[Any]) -> list[Any] | None:
    """``typed`` of a sequence of pairs of datetimes (a state's index of business
    times: two hundred of them in a case of 10,000 events) in one loop, or None when
    it is anything else."""
    try:
        if all(len(pair) == 2 and type(pair[0]) is type(pair[1]) is datetime for pair in value):
            return [
                [{"$datetime": low}, {"$datetime": high}] for low, high in map(span_texts, value)
            ]
    except (TypeError, KeyError):  # an item without a length, or a mapping
        pass
    return None


def span_texts(pair: Sequence[datetime]) -> tuple[str, str]:
    """The ISO 8601 texts of a pair of datetimes (``isoformat``), kept for the pair.

    A state's index of business times is a tuple of such pairs, and each state after
    the next event shares all of them but the last with the state before: each
    snapshot's commitment and encoding would format every one of them again (two per
    fifty events of the case). A pair is a tuple of two exact datetimes, immutable, so
    its texts cannot change; the pair is held with them, so its id is not reused."""
    kept = _SPAN_TEXTS.get(id(pair))
    if kept is not None and kept[0] is pair:
        return kept[1]
    texts = (pair[0].isoformat(), pair[1].isoformat())
    if type(pair) is not tuple:  # a list can change: never kept
        return texts
    if len(_SPAN_TEXTS) >= 8192:  # pairs, a few per case: a bound for memory only
        _SPAN_TEXTS.clear()
    _SPAN_TEXTS[id(pair)] = (pair, texts)
    return texts


_SPAN_TEXTS: dict[int, tuple[Sequence[datetime], tuple[str, str]]] = {}
""":func:`span_texts`'s answers, by the id of the pair (held with them)."""


def time_text(moment: Any) -> str:
    """``moment.isoformat()``, kept for the last few datetimes formatted.

    A command formats its times twice: its digest's record, then its stored row
    (:func:`casehistory._transcodings.fast_encoder`), each ``isoformat`` a third of a
    microsecond or more. A datetime with a fixed offset (``datetime.timezone``, as a
    desk's clock gives and most callers pass) is immutable, and so is its text: it is
    kept, with the datetime, so that its id is not reused. Any other value (another
    tzinfo, which could answer otherwise another time; a date) is formatted each time."""
    kept = _TIME_TEXTS.get(id(moment))
    if kept is not None and kept[0] is moment:
        return kept[1]
    text: str = moment.isoformat()
    if type(moment) is datetime and type(moment.tzinfo) is timezone:
        if len(_TIME_TEXTS) >= 64:  # a command's few times: a bound for memory only
            _TIME_TEXTS.clear()
        _TIME_TEXTS[id(moment)] = (moment, text)
    return text


_TIME_TEXTS: dict[int, tuple[datetime, str]] = {}
""":func:`time_text`'s answers, by the id of the datetime (held with them)."""


class _Typed:
    """:func:`typed`, noting on the way whether the result is plain JSON (see
    :func:`_plain_json`), so that a state commitment needs no second walk to know that
    ``orjson`` writes its canonical bytes. The types a state holds are dispatched by
    exact type, the commonest first; any other value takes the general path, whose
    answers are the same."""

    __slots__ = ("plain",)

    def __init__(self) -> None:
        self.plain = True

    def of(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or value is None or kind is bool:
            return value
        if kind is datetime:
            return {"$datetime": value.isoformat()}
        if kind is tuple or kind is list:
            if value and type(value[0]) is tuple:
                spans = _spans(value)
                if spans is not None:
                    return spans
            return [self.of(item) for item in value]
        if kind is int:
            if not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
                self.plain = False
            return value
        fields = _ATTRS_FIELDS.get(kind)
        if fields is not None:
            return {f"${kind.__name__}": {name: self.of(getattr(value, name)) for name in fields}}
        if kind in _TYPED_ENUMS:
            return {"$enum": f"{kind.__name__}.{value.name}"}
        if kind is Decimal:
            return {"$decimal": str(value)}
        if kind is UUID:  # a command's case id: what the general path gives it
            return {"$uuid": str(value)}
        # What a state holds many of (holds, RMAs, decisions, balances; personal texts;
        # each status change), sent straight to the general path's branch for them.
        if kind is dict:
            return self._mapping(value)
        if kind is Sealed:
            return {"$sealed": value.box}
        if kind in _ITEM_TUPLES:
            return [self.of(item) for item in value]
        return self._general(value)

    def _mapping(self, value: Mapping[Any, Any]) -> Any:
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"a mapping with non-string keys has no JSON form: {value!r:.80}")
        self.plain = self.plain and all(key.isascii() for key in value)
        return {"$map": {key: self.of(item) for key, item in value.items()}}

    def _general(self, value: Any) -> Any:
        if isinstance(value, bool | int | str):
            if isinstance(value, int) and not isinstance(value, bool):
                self.plain = self.plain and -_SAFE_INTEGER <= value <= _SAFE_INTEGER
            return value
        if isinstance(value, Enum):
            if len(_TYPED_ENUMS) < 1024:  # classes, not values: a bound for safety only
                _TYPED_ENUMS.add(type(value))  # an enum of no str or int type, as here
            return {"$enum": f"{type(value).__name__}.{value.name}"}
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if isinstance(value, Decimal | UUID | date):
            return {f"${type(value).__name__.lower()}": str(value)}
        if isinstance(value, Sealed):  # the ciphertext, never the text
            return {"$sealed": value.box}
        if attrs.has(type(value)):
            names = tuple(f.name for f in attrs.fields(type(value)))
            if not all(name.isascii() for name in names):
                self.plain = False
            elif len(_ATTRS_FIELDS) < 1024:  # classes, not values: a bound for safety only
                _ATTRS_FIELDS[type(value)] = names
            return {
                f"${type(value).__name__}": {name: self.of(getattr(value, name)) for name in names}
            }
        if isinstance(value, tuple | list):
            kind = type(value)
            if kind.__mro__ == (kind, tuple, object) and len(_ITEM_TUPLES) < 1024:
                _ITEM_TUPLES.add(kind)  # a named tuple: its items, every time (bounded)
            return [self.of(item) for item in value]
        if isinstance(value, Mapping):
            return self._mapping(value)
        raise TypeError(f"{type(value).__name__} has no canonical JSON form: {value!r:.80}")


_ATTRS_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names of each attrs class :func:`typed` met (filled on first meeting)."""
_TYPED_ENUMS: set[type] = set()
"""The enum classes :func:`typed` met that are no str or int."""
_ITEM_TUPLES: set[type] = set()
"""The subclasses of tuple alone (named tuples, no attrs class) :func:`typed` met."""
