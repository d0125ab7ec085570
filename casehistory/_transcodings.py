"""The JSON transcodings of casehistory's values.

eventsourcing's JSON transcoder learns every value type of the domain here: attrs
classes are encoded field by field, enums by member name, dates as ISO strings.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast
from uuid import UUID

import attrs
import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

from casehistory.domain import values
from casehistory.domain._walks import span_texts, time_text
from casehistory.domain.ledger import Balance, Hold, Ledger
from casehistory.domain.lifecycle import Status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.sealed import Opener, Sealed
from casehistory.domain.sla import SlaTerms
from casehistory.domain.state import (
    CaseLink,
    CaseState,
    Escalation,
    EscalationOutcome,
    Rma,
    RmaStage,
)

__all__ = ["SealedTranscoding", "fast_decoder", "fast_encoder", "register_value_transcodings"]

_ATTRS_TYPES: tuple[type[Any], ...] = (
    values.Money,
    values.Actor,
    values.Customer,
    values.Product,
    PolicyDecision,
    Balance,
    Ledger,
    Hold,
    Escalation,
    Rma,
    CaseLink,
    CaseState,
    SlaTerms,
)
_ENUM_TYPES: tuple[type[Enum], ...] = (
    values.Role,
    values.Channel,
    values.Direction,
    values.Demeanour,
    values.Fault,
    values.ComplaintCategory,
    values.EntitlementKind,
    values.EscalationTarget,
    values.GoodwillKind,
    values.Payer,
    values.Disposition,
    values.InspectionOutcome,
    values.RepairCoverage,
    values.ServiceLevel,
    values.LinkKind,
    values.ErasureGround,
    Status,
    EscalationOutcome,
    RmaStage,
)


class _AttrsTranscoding(Transcoding):
    """Field by field; nested values are transcoded by the transcoder in turn."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._fields, self._through_init = _shape(cls)
        self._field_set = frozenset(self._fields)

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: Any) -> Any:
        if self._through_init or data.keys() != self._field_set:
            return self.type(**data)
        # Values were validated when they were recorded; like eventsourcing's events,
        # they are not validated again on every load (the hot path of every command).
        obj: Any = object.__new__(self.type)
        for name, value in data.items():
            object.__setattr__(obj, name, value)
        return obj


def _shape(cls: type[Any]) -> tuple[tuple[str, ...], bool]:
    """A class's field names, and whether it is decoded through ``__init__``: tuples come
    back from JSON as lists, and classes with tuple fields go through ``__init__``, whose
    converters restore them. Once per class and process: every desk registers these
    transcodings when it opens, and resolving the type hints was half of opening one."""
    shape = _SHAPES.get(cls)
    if shape is None:
        fields = tuple(f.name for f in attrs.fields(cls))
        hints = typing.get_type_hints(cls)
        shape = fields, any(typing.get_origin(hints[name]) is tuple for name in fields)
        _SHAPES[cls] = shape
    return shape


_SHAPES: dict[type[Any], tuple[tuple[str, ...], bool]] = {}


class _EnumTranscoding(Transcoding):
    def __init__(self, cls: type[Enum]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._cls = cls
        self.members = cls.__members__

    def encode(self, obj: Any) -> str:
        return str(obj.name)

    def decode(self, data: Any) -> Any:
        return self._cls[data]


class _DateTranscoding(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: Any) -> str:
        return str(obj.isoformat())

    def decode(self, data: Any) -> date:
        return date.fromisoformat(data)


class SealedTranscoding(Transcoding):
    """A sealed text as its box (a string: the ciphertext, never the text). A desk
    sets ``opener`` to its key store's, so that what it reads can be shown."""

    type = Sealed
    name = "sealed"

    def __init__(self) -> None:
        self.opener: Opener | None = None

    def encode(self, obj: Any) -> str:
        return str(obj.box)

    def decode(self, data: Any) -> Sealed:
        if type(data) is not str:
            raise TypeError(f"a sealed text is a string, not {type(data).__name__}")
        return Sealed(data, self.opener)


def _transcodings() -> Iterable[Transcoding]:
    yield _DateTranscoding()
    yield SealedTranscoding()
    for cls in _ATTRS_TYPES:
        yield _AttrsTranscoding(cls)
    for enum_cls in _ENUM_TYPES:
        yield _EnumTranscoding(enum_cls)


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach ``transcoder`` every value type that case events and snapshots hold."""
    for transcoding in _transcodings():
        transcoder.register(transcoding)


def _plain(transcoding: Transcoding) -> Callable[[Any], Any]:
    """The transcoding's decode, or a builtin that gives the same value from the JSON
    that decode accepts (a JSON string for each of these): no Python frame a value."""
    kind = type(transcoding)
    if kind is DatetimeAsISO:
        return datetime.fromisoformat
    if kind is DecimalAsStr:
        return Decimal
    if kind is _DateTranscoding:
        return date.fromisoformat
    if isinstance(transcoding, _EnumTranscoding):
        return dict(transcoding.members).__getitem__
    if kind is UUIDAsHex:
        return UUID
    return transcoding.decode


def fast_decoder(transcoder: JSONTranscoder) -> Callable[[bytes], dict[str, Any]]:
    """A decoding of a stored JSON object that gives what ``transcoder.decode`` gives,
    in about half the time: orjson parses, then one walk turns each
    ``{"_type_": name, "_data_": data}`` into its value, innermost first, as the
    json module's object hook does. It raises (any exception) on whatever it does not
    read exactly as ``transcoder.decode`` would, and the caller then asks
    ``transcoder.decode``, which decodes it or says what is wrong: not a JSON object,
    a name not registered, JSON that orjson refuses (NaN, lone surrogates), and any
    float (orjson reads an integer beyond 64 bits as a float where json reads an int;
    no value the desk writes is a float). Transcodings registered later are not seen."""
    decoders = {name: _plain(t) for name, t in transcoder.names.items()}

    def mapping(item: dict[str, Any]) -> Any:
        for key, inner in item.items():
            kind = type(inner)
            if kind is dict:
                if len(inner) == 2 and (data := inner.get("_data_")) is not None:
                    kind = type(data)
                    if kind is str:
                        # The usual typed value: a name and a string (a time, an enum,
                        # an amount), decoded here rather than in a call of its own.
                        item[key] = decoders[inner["_type_"]](data)
                        continue
                    if kind is dict and "_type_" in inner:
                        # A typed value of fields (an actor, an amount of money): its
                        # fields first, then the value, one call fewer than below.
                        item[key] = decoders[inner["_type_"]](mapping(data))
                        continue
                item[key] = mapping(inner)
            elif kind is list:
                item[key] = sequence(inner)
            elif kind is float:
                raise ValueError("a float")
        if len(item) == 2 and "_type_" in item and "_data_" in item:
            return decoders[item["_type_"]](item["_data_"])
        return item

    def sequence(items: list[Any]) -> list[Any]:
        for index, inner in enumerate(items):
            kind = type(inner)
            if kind is dict:
                items[index] = mapping(inner)
            elif kind is list:
                items[index] = sequence(inner)
            elif kind is float:
                raise ValueError("a float")
        return items

    def decode(data: bytes) -> dict[str, Any]:
        decoded = orjson.loads(data)
        if type(decoded) is not dict:
            raise ValueError("not a JSON object")
        decoded = mapping(decoded)
        if type(decoded) is not dict:
            raise ValueError("not a JSON object")
        return decoded

    return decode


def _wrapping(
    name: str, transcoding: Transcoding, walk: Callable[[Any], Any]
) -> Callable[[Any], dict[str, Any]]:
    """What the transcoder's ``default`` makes of a value of ``transcoding``'s type,
    ``{"_type_": name, "_data_": data}``, with its data walked in turn: one call per
    value, none for the strings of a time, an amount, an enum or a sealed text."""
    kind = type(transcoding)
    if kind is DatetimeAsISO:  # a command's times: formatted for its digest already
        return lambda obj: {"_type_": name, "_data_": time_text(obj)}
    if kind is _DateTranscoding:
        return lambda obj: {"_type_": name, "_data_": obj.isoformat()}
    if kind is DecimalAsStr:
        return lambda obj: {"_type_": name, "_data_": str(obj)}
    if kind is UUIDAsHex:
        return lambda obj: {"_type_": name, "_data_": obj.hex}
    if kind is _EnumTranscoding:
        return lambda obj: {"_type_": name, "_data_": obj.name}
    if kind is SealedTranscoding:
        return lambda obj: {"_type_": name, "_data_": obj.box}
    if kind is _AttrsTranscoding and isinstance(transcoding, _AttrsTranscoding):
        names = transcoding._fields
        if transcoding.type not in _SAME_AGAIN:
            return lambda obj: {
                "_type_": name,
                "_data_": walk({field: getattr(obj, field) for field in names}),
            }
        # An actor or an amount: the same object is often encoded again and again
        # (the actor of every command of a session), so the last one's encoding is
        # kept and given again while it is the same object (held here, so its id is
        # not reused; frozen, of immutable fields: its encoding cannot change).
        last: list[tuple[Any, Any]] = [(None, None)]  # one pair: read and replaced whole

        def frozen(obj: Any) -> dict[str, Any]:
            seen, walked = last[0]
            if seen is obj:
                return cast(dict[str, Any], walked)
            walked = {
                "_type_": name,
                "_data_": walk({field: getattr(obj, field) for field in names}),
            }
            last[0] = (obj, walked)  # the walk succeeded: what it gives again
            return walked

        return frozen
    encode = transcoding.encode
    if kind in _TO_STRINGS:
        return lambda obj: {"_type_": name, "_data_": encode(obj)}
    return lambda obj: {"_type_": name, "_data_": walk(encode(obj))}


_SAME_AGAIN: frozenset[type[Any]] = frozenset({values.Actor, values.Money})
"""Frozen value types whose fields hold only immutable values (strings, enums,
decimals): an object's encoding is the same each time it is encoded."""


_TO_STRINGS = frozenset(
    {DatetimeAsISO, _DateTranscoding, DecimalAsStr, UUIDAsHex, _EnumTranscoding, SealedTranscoding}
)
"""The transcodings whose encode gives a str (which the walk leaves as it is)."""


class _NotPlain(Exception):
    """A value the fast encoding leaves to the transcoder."""


_JSON_NATIVE = (str, int, float, dict)
"""What the json module writes itself, subclasses included (``default`` is not asked);
lists and tuples, and their subclasses, it writes as arrays of their items."""


def fast_encoder(transcoder: JSONTranscoder) -> Callable[[dict[str, Any]], bytes]:
    """An encoding of a stored object that gives ``transcoder.encode``'s bytes, byte for
    byte, in about a third of the time: one walk makes each registered value the
    ``{"_type_": name, "_data_": data}`` object the transcoder's ``default`` makes (by
    the same transcodings), then orjson writes it, which writes exactly what the json
    module writes with the transcoder's settings (compact separators, no ASCII
    escaping) for strings, integers, booleans, null, arrays and objects with string
    keys (every code point checked). Anything else goes to ``transcoder.encode``,
    which gives its bytes or its error: a float, an integer beyond 64 bits, a
    subclass of a string, number or object type (the json module writes those
    itself), a key that is no
    string, a lone surrogate, a type not registered, a circular reference."""

    def walk(value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        wrap = wrappings.get(kind)
        if wrap is not None:
            return wrap(value)
        if kind is dict:
            walked = {}
            # Each item's kind is asked here: a string, a number or a registered
            # value (most of an event) costs no call of walk of its own.
            for key, item in value.items():
                if type(key) is not str:
                    raise _NotPlain
                kind = type(item)
                if kind is str or kind is int or kind is bool or item is None:
                    walked[key] = item
                elif (wrap := wrappings.get(kind)) is not None:
                    walked[key] = wrap(item)
                else:
                    walked[key] = walk(item)
            return walked
        if isinstance(value, list | tuple):  # subclasses too (a state's StatusChange):
            if (
                kind is tuple
                and len(value) == 2
                and type(value[0]) is datetime
                and type(value[1]) is datetime
                and iso is not None
            ):
                # A span of a state's index of business times: its texts are kept
                # (span_texts), as each snapshot encodes all the spans again.
                low, high = span_texts(value)
                return [{"_type_": iso, "_data_": low}, {"_type_": iso, "_data_": high}]
            return [walk(item) for item in value]  # the json module writes their items
        raise _NotPlain

    times = transcoder.types.get(datetime)
    # The name of a datetime's ISO text, when the wrapping of a datetime is that text.
    iso = times.name if type(times) is DatetimeAsISO else None
    wrappings = {
        kind: _wrapping(t.name, t, walk)
        for kind, t in transcoder.types.items()
        # A registered type the json module writes itself is never asked of default.
        if not issubclass(kind, (*_JSON_NATIVE, list, tuple)) and kind is not type(None)
    }

    def encode(state: dict[str, Any]) -> bytes:
        try:
            return orjson.dumps(walk(state))
        except Exception:  # the transcoder writes it, or says why it cannot
            return transcoder.encode(state)

    return encode
