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
import typing
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
import orjson
from eventsourcing.utils import get_topic

from casehistory.audit._value_readers import (
    BOX,
    Convert,
    RowProblem,
    _converter,
    _datetime,
    _within,
)
from casehistory.audit._value_readers import Unsupported as Unsupported
from casehistory.domain.chain import STATE_COMMITMENT
from casehistory.domain.commands import COMMAND_FINGERPRINT, COMMAND_ID, require_command_id
from casehistory.domain.events import CASE_TOPIC, EVENT_TYPES, CaseEvent, CaseOpened
from casehistory.errors import InvalidInput

__all__ = ["BOX", "RawRecord", "RowProblem", "raw_record"]


class FieldsProblem(RowProblem):
    """A stored event whose fields are not those its type declares (a finding)."""


_HEX = frozenset("0123456789abcdef")
_CASE_TOPIC = CASE_TOPIC
_ENVELOPE_HINTS = frozenset(
    {"originator_id", "originator_version", "timestamp", "by", "occurred_at", "digest"}
)


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
