"""The hash chain: exactly what each event's digest covers.

Every event of a case carries ``digest``, fixed when the event is recorded: the SHA-256
of the RFC 8785 canonical JSON of the event's *record* plus the digest of the event
before it in the same case (``null`` for ``CaseOpened``, version 1)::

    digest(v) = SHA-256( JCS( record(v) + {"previous": digest(v - 1)} ) )

The record names the event's place (case id, version), its type, both times, who
recorded it, and every other field of the event (its payload), each value in the one
JSON form :func:`plain` gives. Because the digest covers the content rather than the
bytes a store happens to write, a copied, compressed or re-encoded store still
verifies, and so does an export with no store at all; because it covers the place and
the predecessor, an event cannot be changed, moved, renumbered, removed from the
middle or slipped in without a digest that no longer matches.

An event at a version where the desk snapshots the case (every 50 versions by
default) also carries ``state_commitment`` in its payload: the SHA-256 of the
canonical JSON of the case's state right after that event (:func:`state_commitment`).
The digest covers it like any other field, so a snapshot is bound to the chain (and
through the chain to every checkpoint): a snapshot whose state does not hash to the
commitment of the event at its version is never used.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
import orjson

from casehistory.domain._canonical import canonical_json
from casehistory.domain._commitment import SINCE, SPARSE, STATE_COMMITMENT, state_commitment
from casehistory.domain._walks import (
    _Plain,
    _plain_json,
    plain_scalar,
    time_text,
    typed,
)
from casehistory.domain.sealed import Sealed
from casehistory.domain.values import Actor

__all__ = [
    "ENVELOPE",
    "RECORD_FIELDS",
    "canonical_json",
    "chain_digest",
    "digest",
    "plain",
    "plain_digest",
    "plain_scalar",
    "record",
    "record_of",
    "upcast_record_of",
    "AS_STORED",
    "SINCE",
    "SPARSE",
    "STATE_COMMITMENT",
    "chained_bytes",
    "state_commitment",
    "typed",
]

RECORD_FIELDS = (
    "case_id",
    "version",
    "type",
    "occurred_at",
    "recorded_at",
    "actor",
    "payload",
)
"""The keys of a record, in the order exports write them."""

ENVELOPE = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "by",
        "occurred_at",
        "digest",
        "_as_stored",
    }
)
"""Event fields that are not payload: the record names them otherwise (case_id, version,
recorded_at, actor, occurred_at), or they are the digest itself, or eventsourcing's own
bookkeeping (``originator_topic``, the aggregate class, checked by verification), or
the fields of an upcast event as they were stored (:data:`AS_STORED`)."""

AS_STORED = "_as_stored"
"""The attribute of an event read from a row of an older ``class_version`` that holds
its fields as they were stored, before its upcasters ran: what its record (and so its
digest) covers. A digest is over the record as it was stored, never as it is upcast."""


def plain(value: Any) -> Any:
    """The JSON form of a value of an event, the same before it is stored and after.

    Decimals keep their exact digits as strings (``"12.50"``), times and dates are ISO
    8601 with their offset, UUIDs are strings, enums their member name, attrs values
    an object of their fields, tuples and lists arrays, a sealed personal text
    ``{"sealed": box}`` (its ciphertext: :mod:`casehistory.domain.sealed`). Anything
    else (a float, a set) is refused: it has no single canonical form."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | UUID | datetime | date | Enum):
        return plain_scalar(value)
    if isinstance(value, Sealed):
        return {"sealed": value.box}
    if attrs.has(type(value)):
        return {
            field.name: plain(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"a mapping with non-string keys has no JSON form: {value!r}")
        return {key: plain(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} has no canonical JSON form: {value!r}")


def record(
    case_id: UUID,
    version: int,
    type_name: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Any,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    """The record of an event from its parts; ``fields`` may hold envelope fields too."""
    return {
        "case_id": str(case_id),
        "version": version,
        "type": type_name,
        "occurred_at": occurred_at.isoformat(),
        "recorded_at": recorded_at.isoformat(),
        "actor": plain(actor),
        "payload": {name: plain(value) for name, value in fields.items() if name not in ENVELOPE},
    }


def record_of(event: Any) -> dict[str, Any]:
    """The record of a case event (any object with the fields of one): of an event read
    from a row of an older class version, the record as it was stored (:data:`AS_STORED`),
    which its digest covers."""
    fields = vars(event)
    return record(
        event.originator_id,
        event.originator_version,
        type(event).__name__,
        event.occurred_at,
        event.timestamp,
        event.by,
        fields.get(AS_STORED, fields),
    )


def upcast_record_of(event: Any) -> dict[str, Any]:
    """The record of a case event as its class reads it today (upcast where it was
    stored under an older class version): what a replay of its command records."""
    fields = vars(event)
    return record(
        event.originator_id,
        event.originator_version,
        type(event).__name__,
        event.occurred_at,
        event.timestamp,
        event.by,
        fields,
    )


def digest(record: Mapping[str, Any], previous: str | None) -> str:
    """SHA-256 (hex) of the canonical JSON of ``record`` with ``previous`` added.

    A ``digest`` key in ``record`` (as in an exported line) is left out."""
    body = {name: value for name, value in record.items() if name != "digest"}
    body["previous"] = previous
    return hashlib.sha256(canonical_json(body)).hexdigest()


def plain_digest(record: Mapping[str, Any], previous: str | None) -> str:
    """:func:`digest` of a record its maker knows to hold only strings, booleans, null,
    integers within 2**53 - 1, arrays and objects with ASCII keys, for which ``orjson``
    writes the RFC 8785 bytes (see :func:`canonical_json`), unchecked."""
    body = {name: value for name, value in record.items() if name != "digest"}
    body["previous"] = previous
    try:
        text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # a lone surrogate: let canonical_json say why
        text = canonical_json(body)
    return hashlib.sha256(text).hexdigest()


def chain_digest(
    case_id: UUID,
    version: int,
    event_class: type[Any],
    previous: str | None,
    timestamp: datetime,
    by: Any,
    occurred_at: datetime,
    fields: Mapping[str, Any],
) -> str:
    """The digest an event about to be triggered must carry (see the module docs)."""
    entry = record(case_id, version, event_class.__name__, occurred_at, timestamp, by, fields)
    return digest(entry, previous)


def chained_bytes(
    case_id: UUID,
    version: int,
    event_class: type[Any],
    previous: str | None,
    timestamp: datetime,
    by: Any,
    occurred_at: datetime,
    fields: Mapping[str, Any],
) -> bytes:
    """The canonical JSON that :func:`chain_digest` hashes: its SHA-256 is the digest,
    and its length the size of the event as the chain sees it.

    What ``canonical_json`` writes of :func:`record` plus ``previous``, built in one
    walk (:class:`_Plain`) that notes on the way whether ``orjson`` writes its RFC 8785
    bytes, where ``canonical_json`` would walk the record a second time to know: every
    command records an event (tests/unit/test_chained_bytes.py holds the two equal)."""
    walk = _Plain()
    # In the order of the record's own walk (the same error first, if any).
    case_text = _case_text(case_id)
    occurred = time_text(occurred_at)  # kept: the stored row writes them again
    recorded = time_text(timestamp)
    actor = _actor_form(by, walk)
    payload = {}
    for name, value in fields.items():
        if name in ENVELOPE:
            continue
        if not (type(name) is str and name.isascii()):  # what walk.key notes, inline
            walk.key(name)
        kind = type(value)
        payload[name] = value if kind is str or kind is bool or value is None else walk.of(value)
    body = {
        "case_id": case_text,
        "version": version,
        "type": event_class.__name__,
        "occurred_at": occurred,
        "recorded_at": recorded,
        "actor": actor,
        "payload": payload,
        "previous": previous,
    }
    if walk.plain and _plain_json(version) and _plain_json(previous):
        try:
            return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: canonical_json says why
            pass
    return canonical_json(body)


_LAST_CASE: list[tuple[Any, str]] = [(None, "")]
"""The last case id :func:`chained_bytes` wrote and its text (a UUID is immutable, and
a command's events are all of one case): one pair, read and replaced whole."""


def _case_text(case_id: Any) -> str:
    last, text = _LAST_CASE[0]
    if last is case_id:
        return text
    text = str(case_id)
    _LAST_CASE[0] = (case_id, text)
    return text


_LAST_ACTOR: list[tuple[Any, Any, bool]] = [(None, None, True)]
"""The last actor :func:`chained_bytes` wrote, its JSON form and whether that form is
plain: a frozen :class:`~casehistory.domain.values.Actor` of a string and an enum, the
same object for each command of a session, whose form cannot change. The form is
shared between bodies, which are only written (orjson), never changed."""


def _actor_form(by: Any, walk: _Plain) -> Any:
    last, form, plain = _LAST_ACTOR[0]
    if last is not by:
        if type(by) is not Actor:
            return walk.of(by)
        own = _Plain()
        form = own.of(by)
        plain = own.plain
        _LAST_ACTOR[0] = (by, form, plain)  # held here, so its id is not reused
    if not plain:
        walk.plain = False
    return form
