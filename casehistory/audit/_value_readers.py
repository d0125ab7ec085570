"""The readers of a stored JSON value by its declared type (a text, a whole number, a
decimal, a time, an enum, an attrs value, a list or mapping of them...), each giving the
value's plain form as the chain's record holds it, or raising :class:`RowProblem` when
the stored value is not of that type; :class:`Unsupported` when no reader applies.

Separate from :mod:`casehistory.audit.raw`, which reads a whole stored event with them
(its envelope, its command, its class's schema): these are functions, constants and two
exception classes, never stored; imported again from there where they are public.
"""

from __future__ import annotations

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

from casehistory.domain.sealed import Sealed

__all__ = ["BOX", "Convert", "RowProblem", "Unsupported"]

Convert = Callable[[Any], Any]
"""Takes a stored JSON value; returns its plain form, or raises :class:`RowProblem`."""


class RowProblem(Exception):
    """A stored value that is not of its declared type (a finding, not an error)."""


class Unsupported(Exception):
    """This row needs the reference path (decode, then record_of)."""


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
