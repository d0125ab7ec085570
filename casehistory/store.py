"""Where a desk keeps its events: store locations and the transcodings of our values.

``CaseDesk.open`` accepts ``":memory:"`` (eventsourcing's in-process store), a
SQLite file path (the default embedded store), or a ``postgresql://`` URL. The
JSON transcoder learns every value type of the domain here: attrs classes are
encoded field by field, enums by member name, dates as ISO strings.

A store opened read-only (what auditors' commands do) is checked before
eventsourcing touches it: a missing file is :class:`StoreNotFound` (no file is
created), a file that is not a casehistory store is :class:`NotACaseStore` (and
left byte for byte as it was), no table is ever created, and the SQLite file is
opened with ``mode=ro`` so that not even the journal mode can change.
"""

from __future__ import annotations

import sqlite3
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
from casehistory.errors import InvalidInput, NotACaseStore, StoreNotFound, StoreUnavailable

__all__ = [
    "MEMORY",
    "READ_ONLY",
    "register_value_transcodings",
    "store_env",
    "describe_store",
    "prepare_read_only",
]

MEMORY = ":memory:"

READ_ONLY = "READ_ONLY"
"""The key of :func:`store_env`'s settings that marks a store opened read-only."""

_SQLITE_TABLES = ("stored_events", "stored_snapshots")
_SQLITE_COLUMNS = (
    ("originator_id", "TEXT", 1),
    ("originator_version", "INTEGER", 2),
    ("topic", "TEXT", 0),
    ("state", "BLOB", 0),
)
"""The tables eventsourcing makes for a desk in a SQLite file: (name, type, key position)."""

_POSTGRES_TABLES = {
    "casedesk_events": ("originator_id", "originator_version", "topic", "state", "notification_id"),
    "casedesk_snapshots": ("originator_id", "originator_version", "topic", "state"),
}

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


def store_env(location: str | Path, *, read_only: bool = False) -> dict[str, str]:
    """The eventsourcing settings for a store location.

    PostgreSQL URLs take ``?schema=NAME`` (the schema must exist) and
    ``?connect_timeout=SECONDS`` (default 5). With ``read_only``, no table is
    created, and a SQLite file must already be a casehistory store (checked here,
    read-only, before eventsourcing opens it): else :class:`StoreNotFound` or
    :class:`NotACaseStore`.

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
        if read_only:
            raise StoreNotFound(
                "':memory:' is a new, empty store each time it is opened, so a read-only "
                "desk would find nothing in it; give the file path or URL of a store"
            )
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if text.startswith(("postgresql://", "postgres://")):
        env = _postgres_env(text)
        if read_only:  # the tables are checked once connected: prepare_read_only
            env.update({"CREATE_TABLE": "n", READ_ONLY: "y"})
        return env
    if "://" in text:
        raise InvalidInput(
            f"unsupported store URL {text!r}; use ':memory:', a SQLite file path or postgresql://"
        )
    path = Path(text)
    if path.is_dir():
        raise InvalidInput(f"{text!r} is a directory; give a SQLite file path inside it")
    if not path.parent.exists():
        if read_only:
            raise StoreNotFound(_no_file(path))
        raise InvalidInput(f"folder {str(path.parent)!r} does not exist; create it first")
    if not read_only:
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    uri = _check_sqlite_store(path)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": uri,
        "CREATE_TABLE": "n",
        READ_ONLY: "y",
    }


def _no_file(path: Path) -> str:
    return (
        f"no store at {str(path)!r}: the file does not exist, and a read-only desk never "
        "creates one; check the path"
    )


def _not_a_store(path: Path, why: str) -> NotACaseStore:
    return NotACaseStore(
        f"{str(path)!r} is not a casehistory store: {why} (rule: a reader opens only a "
        "store that a desk wrote, and changes nothing else); check the path"
    )


def _check_sqlite_store(path: Path) -> str:
    """The read-only URI of the casehistory store at ``path``, checked with a read-only
    connection before eventsourcing (which would set the journal mode) sees the file."""
    if not path.exists():
        raise StoreNotFound(_no_file(path))
    uri = f"{path.resolve().as_uri()}?mode=ro"
    check = uri
    with path.open("rb") as file:
        header = file.read(100)
    if header[18:20] == b"\x02\x02" and not Path(f"{path}-wal").exists():
        # A WAL file with no WAL beside it is all in the file; mode=ro would still
        # create -wal and -shm files next to what may be another application's file.
        check = f"{path.resolve().as_uri()}?immutable=1"
    try:
        conn = sqlite3.connect(check, uri=True, isolation_level=None)
        try:
            why = _sqlite_problem(conn)
        finally:
            conn.close()
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise _not_a_store(path, "the file is not a SQLite database") from None
        raise StoreUnavailable(f"cannot open the store SQLite {path}: {error}") from None
    if why:
        raise _not_a_store(path, why)
    return uri


def _sqlite_problem(conn: sqlite3.Connection) -> str:
    tables = sorted(
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    )
    if not tables:
        return "the database has no tables"
    for table in _SQLITE_TABLES:
        if table not in tables:
            return f"it has no table {table} (its tables: {', '.join(tables)})"
        # table is one of our two constant names, never input
        rows = conn.execute(f"PRAGMA table_info({table})").fetchall()
        columns = tuple((name, kind.upper(), key) for _, name, kind, _, _, key in rows)
        if columns != _SQLITE_COLUMNS:
            names = ", ".join(name for name, _, _ in columns)
            return f"table {table} has the columns ({names}), not the ones a desk makes"
    return ""


def prepare_read_only(factory: Any, location: str | Path) -> None:
    """Finish opening a store read-only, once eventsourcing's ``factory`` is made.

    SQLite: stop eventsourcing from setting the journal mode (a write) on the
    ``mode=ro`` connections. PostgreSQL: check, with this login, that the schema
    holds the desk's tables and that the login may read them (eventsourcing made no
    table: ``CREATE_TABLE`` is off), else :class:`StoreNotFound` or
    :class:`StoreUnavailable`.
    """
    datastore = factory.datastore
    pool: Any = getattr(datastore, "pool", None)
    if hasattr(pool, "is_journal_mode_wal"):
        pool.is_journal_mode_wal = True  # a WAL file reads as one; any other stays as it is
        return
    if hasattr(datastore, "schema"):
        _check_postgres_store(datastore, location)


def _check_postgres_store(datastore: Any, location: str | Path) -> None:
    where = describe_store(location)
    schema = datastore.schema
    # pg_catalog, not information_schema: it shows tables this login may not read,
    # so a missing GRANT is reported as such rather than as missing tables.
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT has_schema_privilege(oid, 'USAGE') AS usage FROM pg_namespace "
            "WHERE nspname = %s",
            (schema,),
        )
        found = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname AS table_name, a.attname AS column_name, "
            "has_table_privilege(c.oid, 'SELECT') AS readable "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s) "
            "ORDER BY c.relname, a.attnum",
            (schema, list(_POSTGRES_TABLES)),
        )
        rows = cursor.fetchall()
    if found is None:
        raise StoreNotFound(
            f"no store at {where}: there is no schema {schema!r}; check ?schema= in the URL"
        )
    if not found["usage"]:
        raise StoreUnavailable(
            f"cannot open the store {where}: this login may not use schema {schema!r}; "
            f"grant it USAGE ON SCHEMA {schema} (docs/operations.md, read-only access)"
        )
    columns: dict[str, list[str]] = {}
    readable: dict[str, bool] = {}
    for row in rows:
        columns.setdefault(row["table_name"], []).append(row["column_name"])
        readable[row["table_name"]] = row["readable"]
    for table, expected in _POSTGRES_TABLES.items():
        if table not in columns:
            raise StoreNotFound(
                f"no store at {where}: schema {schema!r} has no table {table}, and a "
                "read-only desk never creates one; check ?schema= in the URL"
            )
        if tuple(columns[table]) != expected:
            raise NotACaseStore(
                f"{where} schema {schema!r} is not a casehistory store: table {table} has "
                f"the columns ({', '.join(columns[table])}), not the ones a desk makes; "
                "check ?schema= in the URL"
            )
        if not readable[table]:
            raise StoreUnavailable(
                f"cannot open the store {where}: this login may not read {schema}.{table}; "
                "grant it SELECT on the desk's tables (docs/operations.md, read-only access)"
            )


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
