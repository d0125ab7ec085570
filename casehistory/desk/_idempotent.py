"""Command ids and expected versions: what a desk command does before its rules.

Each public command is wrapped by :func:`command`, which takes its ``command_id`` and
``expected_version`` (every command has both, keyword-only) and hands them to the
desk's load-act-save (``DeskBase._run``) through a context variable: so the thirty
command methods stay one call of their rule each, and the arguments that make a
command's fingerprint are read from its own signature. The rule itself is
:func:`casehistory.domain.commands.replay_of`.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

import attrs
import orjson
from eventsourcing.persistence import PersistenceError
from eventsourcing.sqlite import SQLiteDatastore

from casehistory._sql import COMMAND_ID_FUNCTION, reading
from casehistory.domain.commands import (
    COMMAND_FINGERPRINT,
    COMMAND_ID,
    CommandId,
    fingerprint,
    require_command_id,
)
from casehistory.domain.declarations import COMMANDS
from casehistory.errors import InvalidInput, StoreUnavailable
from casehistory.store import READ_ONLY

__all__ = ["Pending", "command", "pending", "recorded_commands"]

P = ParamSpec("P")
R = TypeVar("R")

_NOT_ARGUMENTS = frozenset({"self", "command_id", "expected_version"})


@attrs.frozen
class Pending:
    """What the caller asked of the command running now, beyond its arguments."""

    command: CommandId | None
    expected_version: int | None


_PENDING: ContextVar[Pending | None] = ContextVar("casehistory_pending", default=None)


def pending() -> Pending | None:
    """The command id and expected version of the command running in this context."""
    return _PENDING.get()


def command(method: Callable[P, R]) -> Callable[P, R]:
    """Make ``method`` (a desk command with ``command_id`` and ``expected_version``
    keywords) hand those two to the load-act-save it calls."""
    signature = _Signature(inspect.signature(method))
    name = method.__name__

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        command_id = kwargs.get("command_id")
        expected = kwargs.get("expected_version")
        if command_id is None and expected is None:
            if _PENDING.get() is None:  # what setting None would leave: nothing to set
                return method(*args, **kwargs)
            asked = None
        else:
            asked = Pending(
                None if command_id is None else _identified(name, signature, args, kwargs),
                None if expected is None else _version(expected),
            )
        token = _PENDING.set(asked)
        try:
            return method(*args, **kwargs)
        finally:
            _PENDING.reset(token)

    return run


class _Signature:
    """A command's signature, and its binding of a call's arguments to their names: what
    ``inspect.Signature.bind`` answers for the calls a command takes (a tenth of the
    cost). A call it does not bind itself (a missing or unknown argument, one given
    twice, too many positional) is left to ``Signature.bind``, which raises the
    ``TypeError`` the call would."""

    __slots__ = ("_keywords", "_names", "_positional", "_required", "defaults", "signature")

    def __init__(self, signature: inspect.Signature) -> None:
        self.signature = signature
        parameters = list(signature.parameters.values())
        kinds = inspect.Parameter
        self._names = tuple(p.name for p in parameters if p.name not in _NOT_ARGUMENTS)
        self._positional: tuple[str, ...] | None = tuple(
            p.name
            for p in parameters
            if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
        )
        if any(p.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD) for p in parameters):
            self._positional = None  # every call through Signature.bind
        self._keywords = frozenset(
            p.name
            for p in parameters
            if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
        )
        self._required = frozenset(p.name for p in parameters if p.default is p.empty)
        self.defaults = {p.name: p.default for p in parameters}

    def arguments(self, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments of a call by name, in the signature's order, without ``self``,
        ``command_id`` and ``expected_version``: those the call gave, as ``bind`` gives
        them (no default filled in). Raises ``TypeError`` where the call would."""
        positional = self._positional
        given: dict[str, Any] | None = None
        if positional is not None and len(args) <= len(positional):
            given = dict(zip(positional, args, strict=False))
            keywords = self._keywords
            for key in kwargs:
                if key in given or key not in keywords:
                    given = None
                    break
            if given is not None:
                given.update(kwargs)
                if not self._required <= given.keys():
                    given = None
        if given is None:
            given = dict(self.signature.bind(*args, **kwargs).arguments)
        return {name: given[name] for name in self._names if name in given}


def _identified(name: str, signature: _Signature, args: Any, kwargs: dict[str, Any]) -> CommandId:
    command_id = require_command_id(kwargs["command_id"])
    try:
        given = signature.arguments(args, kwargs)
    except TypeError as error:  # what calling the method would raise anyway
        raise TypeError(f"{name}(): {error}") from None
    # An argument left at its default is left out, given or not: so a later release that
    # adds an optional argument changes no fingerprint recorded before it.
    defaults = signature.defaults
    arguments = {
        name: value for name, value in given.items() if not _is_default(value, defaults[name])
    }
    declaration = COMMANDS.get(name)
    if declaration is not None:  # under the names its events record: see declarations
        arguments = declaration.as_stored(arguments)
    try:
        return CommandId(command_id, fingerprint(name, arguments))
    except (TypeError, ValueError) as error:  # no canonical JSON: a lone surrogate, 2**64, ...
        raise InvalidInput(
            f"{name}: an argument has no canonical form, so no command takes it "
            f"({type(error).__name__}: {error!s:.120})"
        ) from None


def _is_default(value: object, default: object) -> bool:
    if default is inspect.Parameter.empty:
        return False
    try:
        return value is default or bool(value == default)
    except Exception:  # a value whose comparison fails is no default
        return False


def _version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"expected_version must be a whole number >= 1, got {value!r:.80}")
    return value


# SQLite indexes an expression when a query names it in the same words.
_SQLITE_COMMAND_ID = (
    "CASE WHEN json_valid(CAST(state AS TEXT)) "
    "THEN json_extract(CAST(state AS TEXT), '$.command_id') END"
)


def index_command_ids(store: Any) -> None:
    """On a SQLite store a desk may write, index the events' command ids by case (once:
    ``IF NOT EXISTS``), so that looking one up reads the index, not the case's rows.

    A partial index on an expression: only events that carry an id are in it, and a row
    that is no JSON (changed outside the desk) is left out rather than failing the
    index. Older casehistory versions ignore it. A PostgreSQL store has its own, made
    with its tables (``casehistory._postgres``)."""
    recorder = store.recorder
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    if store.env.get(READ_ONLY) or datastore is None or table is None:
        return
    if hasattr(datastore, "schema"):  # PostgreSQL
        return
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_command_ids ON {table} "
            f"(originator_id, {_SQLITE_COMMAND_ID}) WHERE {_SQLITE_COMMAND_ID} IS NOT NULL"
        )


def recorded_commands(store: Any, case_id: UUID, command_id: str) -> list[tuple[int, str]]:
    """``(version, fingerprint)`` of the case's events that carry ``command_id``.

    On SQLite and PostgreSQL one query reads the index of command ids; a PostgreSQL store
    without it (its login could not make it) is searched for the id as a JSON string in
    the case's rows. Rows found are parsed and matched exactly; the in-process store
    reads the case."""
    found = _sqlite_rows(store.recorder, case_id, command_id)
    if found is not None:
        return _matching(found, command_id)
    with reading(store.recorder) as reader:
        if reader is not None:
            if reader.sqlite:
                rows = reader.rows(
                    "SELECT originator_version, state FROM {table} "
                    f"WHERE originator_id = ? AND {_SQLITE_COMMAND_ID} = ?",
                    reader.case_id(case_id),
                    command_id,
                )
            elif getattr(store.recorder, "command_index", False):  # see _postgres
                rows = reader.rows(
                    "SELECT originator_version, state FROM {table} WHERE originator_id = ? "
                    f"AND {{schema}}.{COMMAND_ID_FUNCTION}(state) = ?",
                    reader.case_id(case_id),
                    command_id,
                )
            else:
                rows = reader.rows(
                    "SELECT originator_version, state FROM {table} "
                    "WHERE originator_id = ? AND position(? IN state) > 0",
                    reader.case_id(case_id),
                    # The id as a JSON string: a command id holds no character JSON
                    # escapes, so any encoder writes it so, whatever it puts between
                    # keys and values (a store copied through jsonb still finds it).
                    orjson.dumps(command_id),
                )
            return _matching(rows, command_id)
    return [
        (event.originator_version, vars(event)[COMMAND_FINGERPRINT])
        for event in store.events.get(case_id)
        if vars(event).get(COMMAND_ID) == command_id
    ]


def _sqlite_rows(recorder: Any, case_id: UUID, command_id: str) -> list[Any] | None:
    """On a SQLite store, ``(version, state)`` of the case's rows whose indexed command
    id is ``command_id`` (None: not a SQLite store).

    One statement on a pooled connection, outside any transaction (a lone statement
    reads one state of the store; no BEGIN and ROLLBACK around it), kept prepared by
    the connection's statement cache: what :func:`casehistory._sql.reading` would run,
    at a third of its cost, paid by every command given an id."""
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    if type(datastore) is not SQLiteDatastore or not isinstance(table, str):
        return None
    statement = _STATEMENTS.get(table)
    if statement is None:
        statement = _STATEMENTS[table] = (
            f"SELECT originator_version, state FROM {table} "
            f"WHERE originator_id = ? AND {_SQLITE_COMMAND_ID} = ?"
        )
    pool = datastore.pool
    try:
        connection = pool.get_connection(is_writer=False)
        try:
            return connection._sqlite_conn.execute(statement, (case_id.hex, command_id)).fetchall()
        finally:
            pool.put_connection(connection)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the store: {error}") from None


_STATEMENTS: dict[str, str] = {}
"""The lookup statement by events table (its text is the key of the prepared statement)."""


def _matching(rows: Iterable[Any], command_id: str) -> list[tuple[int, str]]:
    found = (_fields(int(version), bytes(state)) for version, state in rows)
    return [(v, print_) for v, print_, id_ in filter(None, found) if id_ == command_id]


def _fields(version: int, state: bytes) -> tuple[int, str, str] | None:
    """``(version, fingerprint, command id)`` of a stored event, or None when it holds no
    command id (a row that does not parse is left to the load, which reports it)."""
    try:
        stored = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(stored, dict):
        return None
    found, print_ = stored.get(COMMAND_ID), stored.get(COMMAND_FINGERPRINT)
    if not isinstance(found, str) or not isinstance(print_, str):
        return None
    return version, print_, found
