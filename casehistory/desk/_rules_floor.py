"""The store's floor of rules versions: from which log position new cases are held to
which rules (docs/design.md, "Rules versions").

A case records on its ``CaseOpened`` the rules version it is held to, and a record
with none answers 1, so that cases recorded before a rule existed stay lawful. That
leaves a door open: code writing beneath the desk could append a *new* case with no
version and so hold it to the older, looser rules. The floor closes it.
``casedesk_rules_floor`` (beside the events: the SQLite file, the PostgreSQL schema,
the in-process recorder) holds one row per rules version: the log position the store
had when the first desk holding that version opened it for writing. Every case opened
*after* that position was opened by such a desk, or by none, so it must be held to
that version at least; a case held to less is refused its commands
(:class:`~casehistory.errors.RulesBelowFloor`) and reported by ``verify --rules``.

A writer desk claims its floor at open, with ``INSERT ... ON CONFLICT DO NOTHING`` in
one serialized transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL an advisory lock):
a row, once there, never moves, so a store upgraded long ago keeps the position of its
upgrade. A read-only desk only reads (a store without the table has no floor).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import attrs
import orjson
from eventsourcing.persistence import PersistenceError

from casehistory._sql import reading
from casehistory.desk._store_tables import (
    claiming_postgres,
    claiming_sqlite,
    postgres_has,
    sqlite_has,
)
from casehistory.domain.rulebook import RULES_VERSION
from casehistory.errors import RulesBelowFloor, StoreUnavailable

__all__ = [
    "FLOOR_TABLE",
    "Floor",
    "claim_floor",
    "floor_at_head",
    "opening_positions",
    "recorded_floors",
    "require_floor",
    "rules_at",
]

FLOOR_TABLE = "casedesk_rules_floor"

_CREATE = (
    "CREATE TABLE IF NOT EXISTS {table} (rules BIGINT NOT NULL PRIMARY KEY, "
    "after_position BIGINT NOT NULL)"
)


@attrs.frozen
class Floor:
    """Cases opened at a log position above ``after_position`` are held to ``rules``
    or a later version."""

    rules: int
    after_position: int


def rules_at(floors: Iterable[Floor], position: int) -> int:
    """The least rules version a case opened at log ``position`` may be held to."""
    return max((f.rules for f in floors if position > f.after_position), default=1)


def require_floor(floors: Iterable[Floor], case_id: UUID, rules: int, position: int) -> None:
    """Raise :class:`RulesBelowFloor` if a case opened at ``position`` is held to less
    than the store's floor there."""
    least = rules_at(floors, position)
    if rules < least:
        after = max(f.after_position for f in floors if f.rules == least)
        raise RulesBelowFloor(
            f"case {case_id} is held to rules {rules} but was opened at log position "
            f"{position}, after the store took rules {least} from position {after} (rule: "
            f"rules versions: every case opened after a store's floor is held to it); no "
            "desk opened this case: it was written beneath the desk. Run casehistory "
            "verify --rules"
        )


def claim_floor(store: Any) -> list[Floor]:
    """Record the floor of :data:`RULES_VERSION`, if the store has none for it yet, and
    return the store's floors.

    The floor is the log's head, or just before the first case already opened under
    that version if the log holds one (a row deleted by SQL is claimed again where it
    stood, not above what was written since): the scan of the openings this takes is
    paid once per store and version."""
    recorder = store.recorder
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    floors = recorded_floors(recorder)
    if any(f.rules == RULES_VERSION for f in floors):
        return floors
    first = _first_opening_held(recorder)
    try:
        if datastore is None or table is None:
            held: dict[int, Floor] = recorder.__dict__.setdefault("casedesk_rules_floor", {})
            head = recorder.max_notification_id() or 0
            held.setdefault(RULES_VERSION, Floor(RULES_VERSION, _below(first, head)))
            return sorted(held.values(), key=lambda f: f.rules)
        if hasattr(datastore, "schema"):
            return _claim_postgres(datastore, table, first)
        return _claim_sqlite(datastore, table, first)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot claim the store's floor of rules: {error}") from None


def _below(first: int | None, head: int) -> int:
    return head if first is None else min(first - 1, head)


def _first_opening_held(recorder: Any) -> int | None:
    """The log position of the first case opened under :data:`RULES_VERSION` or later."""
    with reading(recorder) as reader:
        if reader is None:
            head = recorder.max_notification_id() or 0
            rows: list[tuple[Any, ...]] = [
                (n.id, n.state)
                for n in recorder.select_notifications(start=1, limit=max(head, 1))
                if n.originator_version == 1
            ]
        else:
            rows = reader.rows(
                "SELECT {order}, state FROM {table} WHERE originator_version = 1 ORDER BY {order}"
            )
    for position, state in rows:
        try:
            record = orjson.loads(bytes(state))
        except orjson.JSONDecodeError:
            continue  # not a record a desk wrote: for verify to report
        rules = record.get("rules") if isinstance(record, dict) else None
        if isinstance(rules, int) and rules >= RULES_VERSION:
            return int(position)
    return None


def floor_at_head(recorder: Any) -> list[Floor]:
    """Move the floor of :data:`RULES_VERSION` to the log's head, as if every record so
    far had been written before the store took it (a store upgraded now). For tests and
    migrations that write older records beneath the desk on purpose; a desk never does."""
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    head = recorder.max_notification_id() or 0
    if datastore is None or table is None:
        held: dict[int, Floor] = recorder.__dict__.setdefault("casedesk_rules_floor", {})
        held[RULES_VERSION] = Floor(RULES_VERSION, head)
    elif hasattr(datastore, "schema"):
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f'UPDATE "{datastore.schema}".{FLOOR_TABLE} SET after_position = %s '
                "WHERE rules = %s",
                (head, RULES_VERSION),
            )
    else:
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"UPDATE {FLOOR_TABLE} SET after_position = ? WHERE rules = ?",
                (head, RULES_VERSION),
            )
    return recorded_floors(recorder)


def recorded_floors(recorder: Any) -> list[Floor]:
    """The floors of ``recorder``'s store (none when it has no such table)."""
    datastore = getattr(recorder, "datastore", None)
    if datastore is None or getattr(recorder, "events_table_name", None) is None:
        held: dict[int, Floor] = recorder.__dict__.get("casedesk_rules_floor", {})
        return sorted(held.values(), key=lambda f: f.rules)
    try:
        with datastore.transaction(commit=False) as cursor:
            if hasattr(datastore, "schema"):
                return _postgres_rows(cursor, datastore.schema)
            return _sqlite_rows(cursor)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the store's floor of rules: {error}") from None


def opening_positions(recorder: Any, case_ids: Iterable[UUID] | None = None) -> dict[UUID, int]:
    """The log position of each case's first event (of every case, or of ``case_ids``)."""
    wanted = None if case_ids is None else set(case_ids)
    with reading(recorder) as reader:
        if reader is None:  # the in-process store: its log is a list
            found: dict[UUID, int] = {}
            head = recorder.max_notification_id() or 0
            for n in recorder.select_notifications(start=1, limit=max(head, 1)):
                if n.originator_version == 1 and (wanted is None or n.originator_id in wanted):
                    found[n.originator_id] = n.id
            return found
        query = "SELECT originator_id, {order} FROM {table} WHERE originator_version = 1"
        if wanted is None:
            rows = reader.rows(query)
        else:
            rows = []
            for case_id in wanted:
                rows += reader.rows(query + " AND originator_id = ?", reader.case_id(case_id))
    return {_uuid(raw): int(position) for raw, position in rows}


def _uuid(raw: object) -> UUID:
    return raw if isinstance(raw, UUID) else UUID(str(raw))


def _rows(found: list[Any]) -> list[Floor]:
    floors = [
        Floor(int(row["rules"]), int(row["after_position"]))
        if isinstance(row, Mapping)
        else Floor(int(row[0]), int(row[1]))
        for row in found
    ]
    return sorted(floors, key=lambda f: f.rules)


def _sqlite_rows(cursor: Any) -> list[Floor]:
    if not sqlite_has(cursor, FLOOR_TABLE):
        return []
    cursor.execute(f"SELECT rules, after_position FROM {FLOOR_TABLE}")
    return _rows(cursor.fetchall())


def _claim_sqlite(datastore: Any, events: str, first: int | None) -> list[Floor]:
    # One transaction: the head read and the insert see one log.
    with claiming_sqlite(datastore, _CREATE.format(table=FLOOR_TABLE)) as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (rules, after_position) "
            f"SELECT ?, MIN(COALESCE(?, MAX(rowid), 0), COALESCE(MAX(rowid), 0)) "
            f"FROM {events} WHERE 1 ON CONFLICT (rules) DO NOTHING",
            (RULES_VERSION, None if first is None else first - 1),
        )
        return _sqlite_rows(cursor)


def _postgres_rows(cursor: Any, schema: str) -> list[Floor]:
    if not postgres_has(cursor, schema, FLOOR_TABLE):
        return []
    cursor.execute(f'SELECT rules, after_position FROM "{schema}".{FLOOR_TABLE}')
    return _rows(cursor.fetchall())


def _claim_postgres(datastore: Any, events: str, first: int | None) -> list[Floor]:
    schema = datastore.schema
    table = f'"{schema}".{FLOOR_TABLE}'
    with claiming_postgres(datastore, FLOOR_TABLE, _CREATE.format(table=table)) as cursor:
        cursor.execute(
            f"INSERT INTO {table} (rules, after_position) "
            "SELECT %s, LEAST(COALESCE(%s::bigint, MAX(notification_id), 0), "
            f'COALESCE(MAX(notification_id), 0)) FROM "{schema}"."{events}" '
            "ON CONFLICT (rules) DO NOTHING",
            (RULES_VERSION, None if first is None else first - 1),
        )
        return _postgres_rows(cursor, schema)
