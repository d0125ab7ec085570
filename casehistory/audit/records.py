"""Event records read from outside the store, checked against the event vocabulary.

A record (:mod:`casehistory.domain.chain`) that arrives in a file is untrusted text. A
digest only says the record was not changed since it was hashed; whoever forged it could
hash a record no desk would ever write: an invented event type, a time that is no time,
an actor whose role does not exist, a payload with fields the type does not have. So a
record read from a file is checked here, field by field, against
:data:`~casehistory.domain.events.EVENT_TYPES` and the types of their fields, before
anything else is believed about it.

JSON itself is read strictly (:func:`strict_json`): a key repeated in an object, where
one reader keeps the first value and another the last, is refused, and so are
``NaN`` and ``Infinity``, which are not JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from casehistory.audit.raw import BOX as _BOX
from casehistory.domain.chain import ENVELOPE, RECORD_FIELDS
from casehistory.domain.events import EVENT_TYPES, CaseEvent
from casehistory.domain.sealed import Sealed
from casehistory.domain.values import Actor
from casehistory.errors import InvalidInput

__all__ = ["payload_fields", "record_problem", "sealed_texts", "strict_json"]


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            # json keeps the last value silently, other readers the first: two programs
            # would read two different records from one line.
            raise InvalidInput(
                f"repeats the key {key!r} in one object (rule: one value per key, so every "
                "reader sees the same record)"
            )
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise InvalidInput(f"holds {name}, which is not JSON (rule: RFC 8259 numbers only)")


def strict_json(text: str) -> Any:
    """Parse one JSON text, refusing repeated keys in any object and NaN/Infinity.

    Raises :class:`~casehistory.errors.InvalidInput` saying what is wrong."""
    try:
        return json.loads(text, object_pairs_hook=_one_value_per_key, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"is not JSON ({error})") from None
    except RecursionError:
        raise InvalidInput("is JSON nested too deeply to be a record") from None


_TYPES: dict[str, type[CaseEvent]] = {cls.__name__: cls for cls in EVENT_TYPES}


@functools.cache
def payload_fields(type_name: str) -> tuple[frozenset[str], frozenset[str], dict[str, Any]]:
    """The payload of an event type: (fields it must have, fields it may have, the type
    of every field). Raises KeyError for a name that is not an event type."""
    cls = _TYPES[type_name]
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name not in ENVELOPE]
    required = frozenset(
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    # Fields with a default were added after events without them were recorded: an old
    # record may lack them.
    return required, frozenset(f.name for f in fields), {f.name: hints[f.name] for f in fields}


def _time(value: object) -> str | None:
    if not isinstance(value, str):
        return f"is {value!r:.60}, not an ISO 8601 time"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return f"is {value!r:.60}, not an ISO 8601 time"
    if parsed.utcoffset() is None:
        return f"is {value!r:.60}, a time without its UTC offset"
    if parsed.isoformat() != value:
        # The desk writes datetime.isoformat(); any other spelling was not written by it.
        return f"is {value!r:.60}, not in the form the desk writes ({parsed.isoformat()})"
    return None


def _date(value: object) -> str | None:
    try:
        if isinstance(value, str) and date.fromisoformat(value).isoformat() == value:
            return None
    except ValueError:
        pass
    return f"is {value!r:.60}, not an ISO 8601 date"


def _decimal(value: object) -> str | None:
    try:
        if isinstance(value, str) and str(Decimal(value)) == value and Decimal(value).is_finite():
            return None
    except InvalidOperation:
        pass
    return f"is {value!r:.60}, not an exact decimal string"


def _uuid(value: object) -> str | None:
    try:
        if isinstance(value, str) and str(UUID(value)) == value:
            return None
    except ValueError:
        pass
    return f"is {value!r:.60}, not a lowercase hyphenated UUID"


def _value_problem(value: object, hint: Any) -> str | None:
    """What is wrong with ``value`` as the JSON form of a value of type ``hint``."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        problems = [_value_problem(value, option) for option in options if option is not type(None)]
        return None if any(p is None for p in problems) else problems[0]
    if origin is tuple or origin is list:
        if not isinstance(value, list):
            return f"is {value!r:.60}, not an array"
        (item, *_) = typing.get_args(hint) or (Any,)
        for element in value:
            problem = _value_problem(element, item)
            if problem:
                return problem
        return None
    if origin is dict or hint is dict:
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return None if ok else f"is {value!r:.60}, not an object of texts"
    if hint is Any:
        return None
    if hint is bool:
        return None if isinstance(value, bool) else f"is {value!r:.60}, not true or false"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"is {value!r:.60}, not a whole number"
    if hint is str:
        return None if isinstance(value, str) else f"is {value!r:.60}, not a text"
    if hint is datetime:
        return _time(value)
    if hint is date:
        return _date(value)
    if hint is Decimal:
        return _decimal(value)
    if hint is UUID:
        return _uuid(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        if isinstance(value, str) and value in hint.__members__:
            return None
        return f"is {value!r:.60}, not a {hint.__name__} ({', '.join(hint.__members__)})"
    if hint is Sealed:
        return _sealed_problem(value)
    if isinstance(hint, type) and attrs.has(hint):
        return _object_problem(value, hint)
    return None  # a type the vocabulary does not use yet: the digest still covers it


def _sealed_problem(value: object) -> str | None:
    """A sealed text's plain form: ``{"sealed": box}``, the box a string as desks write."""
    if isinstance(value, dict) and set(value) == {"sealed"}:
        box = value["sealed"]
        if isinstance(box, str) and _BOX.fullmatch(box):
            return None
        return f"is a sealed text whose box {box!r:.60} is no key id and box"
    return f"is {value!r:.60}, not a text nor a sealed text"


def sealed_texts(value: object) -> int:
    """How many sealed texts (``{"sealed": box}``) a record's payload holds."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("sealed"), str):
            return 1
        return sum(sealed_texts(item) for item in value.values())
    if isinstance(value, list):
        return sum(sealed_texts(item) for item in value)
    return 0


def _object_problem(value: object, cls: type[Any]) -> str | None:
    names = [field.name for field in attrs.fields(cls)]
    if not isinstance(value, dict) or set(value) != set(names):
        keys = sorted(value) if isinstance(value, dict) else value
        return f"is {keys!r:.80}, not a {cls.__name__} (fields {', '.join(names)})"
    hints = typing.get_type_hints(cls)
    for name in names:
        problem = _value_problem(value[name], hints[name])
        if problem:
            return f"{name} {problem}"
    return None


def record_problem(record: Mapping[str, Any]) -> str | None:
    """What makes ``record`` (parsed JSON with the keys of
    :data:`~casehistory.domain.chain.RECORD_FIELDS`, and maybe more) something no desk
    would have written, in words; None when it is well formed.

    Checks the case id (a lowercase hyphenated UUID), the version (a whole number from
    1), the type (one of the event vocabulary), both times (ISO 8601 with a UTC offset,
    as the desk writes them), the actor (an id and a real role) and the payload (exactly
    the fields of that type, each of its type). Not the digest: that is the chain's."""
    missing = [name for name in RECORD_FIELDS if name not in record]
    if missing:
        return f"has no {', '.join(missing)}"
    problem = _uuid(record["case_id"])
    if problem:
        return f"case_id {problem}"
    version = record["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return f"version is {version!r:.60}, not a whole number from 1"
    type_name = record["type"]
    if not isinstance(type_name, str) or type_name not in _TYPES:
        return f"type {type_name!r:.60} is not a case event (rule: the event vocabulary)"
    for name in ("occurred_at", "recorded_at"):
        problem = _time(record[name])
        if problem:
            return f"{name} {problem}"
    problem = _object_problem(record["actor"], Actor)
    if problem:
        return f"actor {problem}"
    if not record["actor"]["id"]:
        return "actor has an empty id"
    payload = record["payload"]
    if not isinstance(payload, dict):
        return f"payload is {payload!r:.60}, not an object"
    required, allowed, hints = payload_fields(type_name)
    absent, unknown = sorted(required - set(payload)), sorted(set(payload) - allowed)
    if absent or unknown:
        wrong = [f"lacks {', '.join(absent)}"] * bool(absent) + [
            f"has {', '.join(unknown)}, which {type_name} has not"
        ] * bool(unknown)
        return f"payload {' and '.join(wrong)} (rule: the fields of {type_name})"
    for name, value in payload.items():
        problem = _value_problem(value, hints[name])
        if problem:
            return f"payload {name} {problem}"
    return None
