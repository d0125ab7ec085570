"""Where a desk keeps its events: store locations and the transcodings of our values.

``CaseDesk.open`` accepts ``":memory:"`` (eventsourcing's in-process store), a
SQLite file path (the default embedded store), or a ``postgresql://`` URL. The
JSON transcoder learns every value type of the domain here: attrs classes are
encoded field by field, enums by member name, dates as ISO strings.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
from eventsourcing.persistence import JSONTranscoder, Transcoding

from casehistory.domain import values
from casehistory.domain.ledger import Balance, Hold, Ledger
from casehistory.domain.lifecycle import Status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.state import (
    CaseLink,
    CaseState,
    Escalation,
    EscalationOutcome,
    Rma,
    RmaStage,
)
from casehistory.errors import InvalidInput

__all__ = ["MEMORY", "register_value_transcodings", "store_env", "describe_store"]

MEMORY = ":memory:"

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
    Status,
    EscalationOutcome,
    RmaStage,
)


class _AttrsTranscoding(Transcoding):
    """Field by field; nested values are transcoded by the transcoder in turn."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._fields = tuple(f.name for f in attrs.fields(cls))
        self._field_set = frozenset(self._fields)
        # Tuples come back from JSON as lists: classes with tuple fields go through
        # __init__, whose converters restore them.
        hints = typing.get_type_hints(cls)
        self._through_init = any(typing.get_origin(hints[name]) is tuple for name in self._fields)

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


class _EnumTranscoding(Transcoding):
    def __init__(self, cls: type[Enum]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._cls = cls

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


def _transcodings() -> Iterable[Transcoding]:
    yield _DateTranscoding()
    for cls in _ATTRS_TYPES:
        yield _AttrsTranscoding(cls)
    for enum_cls in _ENUM_TYPES:
        yield _EnumTranscoding(enum_cls)


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach ``transcoder`` every value type that case events and snapshots hold."""
    for transcoding in _transcodings():
        transcoder.register(transcoding)


def store_env(location: str | Path) -> dict[str, str]:
    """The eventsourcing settings for a store location.

    PostgreSQL URLs take ``?schema=NAME`` (the schema must exist) and
    ``?connect_timeout=SECONDS`` (default 5).

    >>> store_env("cases.sqlite")["PERSISTENCE_MODULE"]
    'eventsourcing.sqlite'
    >>> store_env("postgresql://postgres@127.0.0.1:5432/test?schema=desk1")["POSTGRES_SCHEMA"]
    'desk1'
    """
    text = str(location)
    if not text.strip():
        raise InvalidInput(
            "store location is empty; give ':memory:', a file path or a postgresql:// URL"
        )
    if text == MEMORY:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if text.startswith(("postgresql://", "postgres://")):
        return _postgres_env(text)
    if "://" in text:
        raise InvalidInput(
            f"unsupported store URL {text!r}; use ':memory:', a SQLite file path or postgresql://"
        )
    path = Path(text)
    if path.is_dir():
        raise InvalidInput(f"{text!r} is a directory; give a SQLite file path inside it")
    if not path.parent.exists():
        raise InvalidInput(f"folder {str(path.parent)!r} does not exist; create it first")
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    if not dbname:
        raise InvalidInput(f"PostgreSQL URL {url!r} names no database (postgresql://host/DBNAME)")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
    }
    query = parse_qs(parts.query)
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    # Fail in seconds, not eventsourcing's 30, when no server answers.
    timeout = query.get("connect_timeout", ["5"])[0]
    if not timeout.isdigit() or int(timeout) < 1:
        raise InvalidInput(
            f"connect_timeout must be a whole number of seconds >= 1, got {timeout!r}"
        )
    env["POSTGRES_CONNECT_TIMEOUT"] = timeout
    return env


def describe_store(location: str | Path) -> str:
    """A one-line description of a store location, without its password."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(text)
        host = parts.hostname or "127.0.0.1"
        return f"PostgreSQL {host}:{parts.port or 5432}/{parts.path.lstrip('/')}"
    if text == MEMORY:
        return "in-memory store"
    return f"SQLite {text}"
