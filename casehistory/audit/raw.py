"""An event's record read straight from its stored bytes, its types checked on the way.

Verification needs each event's record (:mod:`casehistory.domain.chain`): the plain
JSON form of its fields. Decoding a row into an event object and turning that object
back into plain JSON costs most of a verification; this module walks the stored JSON
once instead, following the event class's declared field types, and writes the plain
form as it goes. It gives the same record as ``record_of(mapper.to_domain_event(row))``
for every row a desk writes (a property test holds the two equal).

The walk also checks what a digest cannot: that every stored value has its declared
type. The record is plain JSON, so the decimal ``100.00`` and the string ``"100.00"``,
or the enum member ``CLOSED`` and the string ``"CLOSED"``, have the same record, and
the same digest; a desk that loaded the string would decide on a value of the wrong
type (a status that ``is`` never CLOSED). A row holding a value of another type than
its event declares is :class:`RowProblem`, reported as altered.

A row this walk does not know how to read (a field it has no rule for, a class version
above 1) is left to the reference path: decode, then ``record_of``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
import orjson
from eventsourcing.utils import get_topic

from casehistory.domain.chain import STATE_COMMITMENT
from casehistory.domain.commands import COMMAND_FINGERPRINT, COMMAND_ID, require_command_id
from casehistory.domain.events import CASE_TOPIC, EVENT_TYPES, CaseEvent, CaseOpened
from casehistory.domain.sealed import Sealed
from casehistory.errors import InvalidInput

__all__ = ["BOX", "RawRecord", "RowProblem", "raw_record"]

Convert = Callable[[Any], Any]
"""Takes a stored JSON value; returns its plain form, or raises :class:`RowProblem`."""


class RowProblem(Exception):
    """A stored value that is not of its declared type (a finding, not an error)."""


class FieldsProblem(RowProblem):
    """A stored event whose fields are not those its type declares (a finding)."""


class Unsupported(Exception):
    """This row needs the reference path (decode, then record_of)."""


_HEX = frozenset("0123456789abcdef")
_CASE_TOPIC = CASE_TOPIC
_ENVELOPE_HINTS = frozenset(
    {"originator_id", "originator_version", "timestamp", "by", "occurred_at", "digest"}
)


def _tagged(value: Any, name: str) -> Any:
    if type(value) is dict and len(value) == 2 and value.get("_type_") == name:
        return value["_data_"]
    raise RowProblem(f"is not a {name} value (stored as {_shape(value)})")


def _shape(value: Any) -> str:
    if type(value) is dict and "_type_" in value:
        return f"a {str(value['_type_'])[:40]}"
    return f"a JSON {type(value).__name__}"


def _within(path: str, problem: RowProblem) -> RowProblem:
    """The problem of a part, named from the whole: ``product.price.amount is not ...``."""
    text = str(problem)
    return RowProblem(f"{path}{'' if text.startswith(('.', '[')) else ' '}{text}")


def _text(value: Any) -> str:
    if type(value) is not str:
        raise RowProblem(f"is not a text (stored as {_shape(value)})")
    return value


_SAFE_INTEGER = 2**53 - 1


def _integer(value: Any) -> int:
    if type(value) is not int:
        raise RowProblem(f"is not a whole number (stored as {_shape(value)})")
    if not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        raise RowProblem(f"is {value}, beyond 2**53 - 1: no desk writes such a number")
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise RowProblem(f"is not true or false (stored as {_shape(value)})")
    return value


def _decimal(value: Any) -> str:
    data = _text(_tagged(value, "decimal_str"))
    try:
        return str(Decimal(data))
    except InvalidOperation:
        raise RowProblem(f"is not a decimal ({data!r:.40})") from None


def _datetime(value: Any) -> str:
    # The text as stored, once it is known to be a time: a desk stores isoformat(), so
    # another spelling of the same instant is a changed byte, and then its digest fails.
    data = _text(_tagged(value, "datetime_iso"))
    try:
        datetime.fromisoformat(data)
    except ValueError:
        raise RowProblem(f"is not a time ({data!r:.40})") from None
    return data


def _date(value: Any) -> str:
    data = _text(_tagged(value, "date"))
    try:
        return date.fromisoformat(data).isoformat()
    except ValueError:
        raise RowProblem(f"is not a date ({data!r:.40})") from None


def _uuid(value: Any) -> str:
    data = _text(_tagged(value, "uuid_hex"))
    try:
        return str(UUID(data))
    except ValueError:
        raise RowProblem(f"is not a UUID ({data!r:.40})") from None


BOX = re.compile(r"[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{38,}")
"""A sealed text's box as a desk writes it: its key's id, a dot, then the base64url of
the nonce, ciphertext and tag (12 + 16 bytes at least, for an empty text)."""


def _personal(value: Any) -> Any:
    """A personal text: sealed (``{"sealed": box}``, the ciphertext its digest covers),
    or a plain text recorded before sealing existed (0.1.0 to 0.3.x), as it is."""
    if type(value) is str:
        return value
    if type(value) is dict and len(value) == 2 and value.get("_type_") == "sealed":
        box = value["_data_"]
        if type(box) is not str:
            raise RowProblem(f"is not a sealed text (its box is {_shape(box)})")
        if not BOX.fullmatch(box):
            raise RowProblem(f"is not a sealed text (its box {box!r:.40} is no key id and box)")
        return {"sealed": box}
    raise RowProblem(f"is not a text (stored as {_shape(value)})")


def _enum(cls: type[Enum]) -> Convert:
    names = frozenset(cls.__members__)
    name = cls.__name__

    def convert(value: Any) -> str:
        if type(value) is dict and len(value) == 2 and value.get("_type_") == name:
            data = value["_data_"]
            if type(data) is str and data in names:
                return data
            raise RowProblem(f"is not a {name} ({data!r:.40})")
        raise RowProblem(f"is not a {name} value (stored as {_shape(value)})")

    return convert


def _optional(inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _sequence(inner: Convert) -> Convert:
    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise RowProblem(f"is not a list (stored as {_shape(value)})")
        try:
            return [inner(item) for item in value]
        except RowProblem as problem:
            raise _within("[...]", problem) from None

    return convert


def _mapping(inner: Convert) -> Convert:
    def convert(value: Any) -> dict[str, Any]:
        if type(value) is not dict or (len(value) == 2 and "_type_" in value):
            raise RowProblem(f"is not a mapping (stored as {_shape(value)})")
        if not all(key.isascii() for key in value):
            raise RowProblem("has a key that is not ASCII: no desk writes one")
        converted = {}
        for key, item in value.items():
            try:
                converted[key] = inner(item)
            except RowProblem as problem:
                raise _within(f".{key}", problem) from None
        return converted

    return convert


def _attrs(cls: type[Any]) -> Convert:
    fields = _fields_of(cls)
    names = fields.keys()
    name = cls.__name__

    def convert(value: Any) -> dict[str, Any]:
        data = _tagged(value, name)
        if type(data) is not dict or data.keys() != names:
            raise RowProblem(f"does not hold the fields of a {name}")
        try:
            return {field: check(data[field]) for field, check in fields.items()}
        except RowProblem as problem:
            raise _located(data, fields, problem) from None

    return convert


def _located(data: dict[str, Any], fields: dict[str, Convert], problem: RowProblem) -> RowProblem:
    """Which field ``problem`` came from (found again on the slow path, after the fact)."""
    for field, check in fields.items():
        try:
            check(data[field])
        except RowProblem as found:
            return _within(f".{field}", found)
    return problem


def _fields_of(cls: type[Any]) -> dict[str, Convert]:
    hints = typing.get_type_hints(cls)
    return {f.name: _converter(hints[f.name]) for f in attrs.fields(cls)}


_SCALARS: dict[Any, Convert] = {
    str: _text,
    int: _integer,
    bool: _boolean,
    Decimal: _decimal,
    datetime: _datetime,
    date: _date,
    UUID: _uuid,
}


@functools.cache
def _converter(hint: Any) -> Convert:
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        rest = [arg for arg in args if arg is not type(None)]
        if set(rest) == {str, Sealed} and len(rest) == 2:  # Text: sealed, or plain
            return _personal if len(args) == 2 else _optional(_personal)
        if len(rest) == 1 and len(args) == 2:
            return _optional(_converter(rest[0]))
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(_converter(args[0]))
    elif origin is dict and args and args[0] is str:
        return _mapping(_converter(args[1]))
    elif isinstance(hint, type) and issubclass(hint, Enum):
        return _enum(hint)
    elif isinstance(hint, type) and attrs.has(hint):
        return _attrs(hint)
    raise Unsupported(f"no rule to read a {hint!r}")


@attrs.frozen
class _Schema:
    name: str
    envelope: frozenset[str]
    """The stored keys that are not payload."""
    payload: dict[str, Convert]
    actor: Convert
    optional: frozenset[str] = frozenset()
    """Payload fields added after records without them were written (a default)."""
    keys: frozenset[str] = attrs.field(init=False)
    """Every key a stored event of this class may hold (but a state commitment)."""
    required: frozenset[str] = attrs.field(init=False)
    """The keys every stored event of this class holds."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "keys", self.envelope | self.payload.keys())
        object.__setattr__(self, "required", self.keys - self.optional)


@functools.cache
def _schemas() -> dict[str, _Schema | None]:
    schemas: dict[str, _Schema | None] = {}
    for cls in EVENT_TYPES:
        try:
            schemas[get_topic(cls)] = _schema(cls)
        except Unsupported:
            schemas[get_topic(cls)] = None
    return schemas


def _schema(cls: type[CaseEvent]) -> _Schema:
    hints = typing.get_type_hints(cls)
    if getattr(cls, "class_version", 1) != 1:
        raise Unsupported("upcast events are read the reference way")
    payload = {
        name: _converter(hint)
        for name, hint in hints.items()
        if name not in _ENVELOPE_HINTS
        and name != "originator_topic"
        and typing.get_origin(hint) is not typing.ClassVar
    }
    envelope = {"timestamp", "by", "occurred_at", "digest"}
    if issubclass(cls, CaseOpened):
        envelope.add("originator_topic")
    optional = frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.name in payload
        and (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)
    )
    return _Schema(cls.__name__, frozenset(envelope), payload, _converter(hints["by"]), optional)


@attrs.frozen
class RawRecord:
    """What verification needs of one stored event, read from its bytes.

    ``record`` holds only what :func:`~casehistory.domain.chain.plain_digest` may hash
    unchecked: strings, booleans, null, safe integers, lists, objects with ASCII keys."""

    type_name: str
    record: dict[str, Any]
    digest: Any
    """The digest it carries, as stored (checked by the caller)."""
    recorded_at: datetime


def _field(name: str, check: Convert, value: Any) -> Any:
    try:
        return check(value)
    except RowProblem as problem:
        raise _within(name, problem) from None


_COMMAND_FIELDS = (COMMAND_ID, COMMAND_FINGERPRINT)


def _command(fields: dict[str, Any]) -> dict[str, str]:
    """The command id and fingerprint of a record: both or neither, as a desk writes."""
    if fields.keys() != set(_COMMAND_FIELDS):
        raise RowProblem(f"holds {', '.join(sorted(fields))} without its pair")
    command_id, print_ = fields[COMMAND_ID], fields[COMMAND_FINGERPRINT]
    try:
        require_command_id(command_id)
    except InvalidInput:
        raise RowProblem(f"{COMMAND_ID} {command_id!r:.60} is no command id") from None
    if type(print_) is not str or len(print_) != 64 or not set(print_) <= _HEX:
        raise RowProblem(f"{COMMAND_FINGERPRINT} is not a SHA-256 in hex")
    return {COMMAND_ID: command_id, COMMAND_FINGERPRINT: print_}


def raw_record(topic: str, state: bytes, case_id: UUID, version: int) -> RawRecord:
    """The record of the stored event; :class:`RowProblem` when a value has another type
    than declared, :class:`Unsupported` when the reference path must read it, and any
    ``ValueError`` when the bytes are not JSON."""
    schema = _schemas().get(topic)
    if schema is None:
        raise Unsupported(f"no schema for {topic!r}")
    stored = orjson.loads(state)
    if type(stored) is not dict:
        raise RowProblem("is not a JSON object")
    committed = stored.pop(STATE_COMMITMENT, None)
    command = {name: stored.pop(name) for name in _COMMAND_FIELDS if name in stored}
    if not schema.required <= stored.keys() <= schema.keys:
        # Never the reference path: eventsourcing's mapper drops or overwrites some keys
        # (class_version, originator_id, originator_version), which would let a row
        # slip past the type checks here. No desk writes other keys than these.
        extra = sorted(stored.keys() - schema.keys)
        missing = sorted(schema.required - stored.keys())
        raise FieldsProblem(
            f"{schema.name} holds "
            + "; ".join(
                [f"fields it does not declare: {', '.join(extra)}"] * bool(extra)
                + [f"no {', '.join(missing)}"] * bool(missing)
            )
            + " (its type or its fields were changed after it was recorded)"
        )
    if schema.name == CaseOpened.__name__ and stored["originator_topic"] != _CASE_TOPIC:
        raise RowProblem(f"names the aggregate {stored['originator_topic']!r:.60}, not a Case")
    recorded_at = _field("recorded_at", _datetime, stored["timestamp"])
    payload = {}
    for name, check in schema.payload.items():
        if name in stored:
            payload[name] = _field(name, check, stored[name])
    if committed is not None:
        if type(committed) is not str or len(committed) != 64 or not set(committed) <= _HEX:
            raise RowProblem(f"{STATE_COMMITMENT} is not a SHA-256 in hex")
        payload[STATE_COMMITMENT] = committed
    if command:
        payload.update(_command(command))
    record = {
        "case_id": str(case_id),
        "version": version,
        "type": schema.name,
        "occurred_at": _field("occurred_at", _datetime, stored["occurred_at"]),
        "recorded_at": recorded_at,
        "actor": _field("by", schema.actor, stored["by"]),
        "payload": payload,
    }
    return RawRecord(schema.name, record, stored["digest"], datetime.fromisoformat(recorded_at))
