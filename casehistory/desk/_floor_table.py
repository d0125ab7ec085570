"""The floor's table in a store: its rows (:class:`Floor`), read, claimed by a writer
desk at open, moved to the log's head on purpose, and the rows a store lost (told from
rows never claimed by what shows that a desk of that version opened the store).

Apart from :mod:`._rules_floor`, which explains the floor and holds the rule a case
meets (the least rules version at a log position, where a case was opened, the
refusal): this is the floor's storage, on SQLite, PostgreSQL and the in-process store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import orjson
from eventsourcing.persistence import PersistenceError

from casehistory.desk._policy_table import POLICY_TABLE
from casehistory.desk._store_tables import (
    claiming_postgres,
    claiming_sqlite,
    postgres_has,
    sqlite_has,
)
from casehistory.domain.rulebook import RULES_VERSION
from casehistory.errors import StoreUnavailable

__all__ = [
    "FIRST_FLOORED",
    "FLOOR_TABLE",
    "Floor",
    "claim_floor",
    "floor_at_head",
    "recorded_floors",
    "store_floors",
]

FLOOR_TABLE = "casedesk_rules_floor"

FIRST_FLOORED = 2
"""The first rules version with a floor, released with the table of policies: a store
holding that table has been opened for writing by a desk of this version or later."""

_CREATE = (
    "CREATE TABLE IF NOT EXISTS {table} (rules BIGINT NOT NULL PRIMARY KEY, "
    "after_position BIGINT NOT NULL)"
)


@attrs.frozen
class Floor:
    """Cases opened at a log position above ``after_position`` (or below 1, where no
    desk writes) are held to ``rules`` or a later version."""

    rules: int
    after_position: int
    lost: bool = False
    """The store's row went missing beneath the desk (:func:`claim_floor`): taken at
    position 0 until it is restored."""


def claim_floor(store: Any) -> list[Floor]:
    """Record the floor of :data:`RULES_VERSION` at the log's head, if the store has no
    row for it yet and none can have stood there, and return the store's floors (with
    any lost ones: see the module's docstring)."""
    recorder = store.recorder
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    existed, floors = _read(recorder)
    if any(f.rules == RULES_VERSION for f in floors):
        return _with_lost(recorder, existed, floors)
    try:
        if datastore is None or table is None:
            return _claim_in_process(recorder, existed)
        if hasattr(datastore, "schema"):
            return _claim_postgres(datastore, table, existed)
        return _claim_sqlite(datastore, table, existed)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(
            f"cannot claim the store's floor of rules ({FLOOR_TABLE}): {error}"
        ) from None


def store_floors(recorder: Any) -> list[Floor]:
    """The store's floors as a desk of :data:`RULES_VERSION` holds them, lost ones
    included, claiming nothing (what ``verify --rules`` checks against). Raises
    :class:`StoreUnavailable` when the floor's table cannot be read."""
    existed, floors = _read(recorder)
    return _with_lost(recorder, existed, floors)


def recorded_floors(recorder: Any) -> list[Floor]:
    """The floors of ``recorder``'s store as its table records them (none when it has no
    such table). Raises :class:`StoreUnavailable` when the table cannot be read."""
    return _read(recorder)[1]


def _read(recorder: Any) -> tuple[bool, list[Floor]]:
    """Whether the floor's table exists, and its rows."""
    datastore = getattr(recorder, "datastore", None)
    if datastore is None or getattr(recorder, "events_table_name", None) is None:
        held: dict[int, Floor] | None = recorder.__dict__.get(FLOOR_TABLE)
        return held is not None, sorted((held or {}).values(), key=lambda f: f.rules)
    try:
        with datastore.transaction(commit=False) as cursor:
            if hasattr(datastore, "schema"):
                schema = datastore.schema
                if not postgres_has(cursor, schema, FLOOR_TABLE):
                    return False, []
                return True, _postgres_rows(cursor, schema)
            if not sqlite_has(cursor, FLOOR_TABLE):
                return False, []
            return True, _sqlite_rows(cursor)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(
            f"cannot read the store's floor of rules ({FLOOR_TABLE}): {error}"
        ) from None


def _lost(
    floors: list[Floor],
    existed: bool,
    head: int,
    policies: bool,
    highest_opening: int,
    up_to: int,
) -> list[Floor]:
    """The floors of versions :data:`FIRST_FLOORED` to ``up_to`` that the store lost:
    it has no row for them, holds events, and shows that a desk of that version or a
    later one opened it for writing (a floor row of a later version, an opening held to
    it or later; for the first floored version also the floor's table or the table of
    policies, which that release creates)."""
    if head < 1:
        return []
    recorded = {f.rules for f in floors}
    lost = []
    for rules in range(FIRST_FLOORED, up_to + 1):
        if rules in recorded:
            continue
        shown = highest_opening >= rules or any(r > rules for r in recorded)
        if rules == FIRST_FLOORED:
            shown = shown or existed or policies
        if shown:
            lost.append(Floor(rules, 0, lost=True))
    return lost


def _with_lost(recorder: Any, existed: bool, floors: list[Floor]) -> list[Floor]:
    recorded = {f.rules for f in floors}
    if all(rules in recorded for rules in range(FIRST_FLOORED, RULES_VERSION + 1)):
        return floors  # the usual case: nothing to look for
    head, policies, highest = _witnesses(recorder)
    lost = _lost(floors, existed, head, policies, highest, RULES_VERSION)
    return sorted([*floors, *lost], key=lambda f: f.rules)


def _witnesses(recorder: Any) -> tuple[int, bool, int]:
    """The log's head, whether the table of policies holds a row, and the highest rules
    version an opening in the log is held to."""
    datastore = getattr(recorder, "datastore", None)
    events = getattr(recorder, "events_table_name", None)
    if datastore is None or events is None:
        head = recorder.max_notification_id() or 0
        states = [
            n.state
            for n in recorder.select_notifications(start=1, limit=max(head, 1))
            if n.originator_version == 1
        ]
        return head, bool(getattr(recorder, POLICY_TABLE, None)), _highest_rules(states)
    try:
        with datastore.transaction(commit=False) as cursor:
            return _witnesses_sql(cursor, events, getattr(datastore, "schema", None))
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the store: {error}") from None


def _witnesses_sql(cursor: Any, events: str, schema: str | None) -> tuple[int, bool, int]:
    if schema is None:
        cursor.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {events}")
        head = cursor.fetchone()[0]
        policies = sqlite_has(cursor, POLICY_TABLE)
        if policies:
            cursor.execute(f"SELECT 1 FROM {POLICY_TABLE} LIMIT 1")
            policies = cursor.fetchone() is not None
        cursor.execute(f"SELECT state FROM {events} WHERE originator_version = 1")
        states = [row[0] for row in cursor.fetchall()]
    else:
        cursor.execute(
            f'SELECT COALESCE(MAX(notification_id), 0) AS head FROM "{schema}"."{events}"'
        )
        head = cursor.fetchone()["head"]
        policies = postgres_has(cursor, schema, POLICY_TABLE)
        if policies:
            cursor.execute(f'SELECT 1 AS one FROM "{schema}".{POLICY_TABLE} LIMIT 1')
            policies = cursor.fetchone() is not None
        cursor.execute(f'SELECT state FROM "{schema}"."{events}" WHERE originator_version = 1')
        states = [row["state"] for row in cursor.fetchall()]
    return int(head), policies, _highest_rules(states)


def _highest_rules(states: Iterable[Any]) -> int:
    """The highest rules version the openings' records say (1: none says any)."""
    highest = 1
    for state in states:
        try:
            record = orjson.loads(bytes(state))
        except orjson.JSONDecodeError:
            continue  # not a record a desk wrote: for verify to report
        rules = record.get("rules") if isinstance(record, dict) else None
        if isinstance(rules, int) and not isinstance(rules, bool) and rules > highest:
            highest = rules
    return highest


def floor_at_head(recorder: Any) -> list[Floor]:
    """Move the floor of :data:`RULES_VERSION` to the log's head, as if every record so
    far had been written before the store took it (a store upgraded now). For tests and
    migrations that write older records beneath the desk on purpose; a desk never does."""
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    head = recorder.max_notification_id() or 0
    if datastore is None or table is None:
        held: dict[int, Floor] = recorder.__dict__.setdefault(FLOOR_TABLE, {})
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
    return store_floors(recorder)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rows(found: list[Any]) -> list[Floor]:
    floors = []
    for row in found:
        rules, after = (
            (row["rules"], row["after_position"]) if isinstance(row, Mapping) else tuple(row)
        )
        if not (_whole(rules) and _whole(after)):
            raise StoreUnavailable(
                f"the store's floor of rules ({FLOOR_TABLE}) holds a row that is not two "
                f"whole numbers: rules {rules!r:.40}, after_position {after!r:.40} (a row "
                "changed beneath the desk?); restore the row from a backup and run "
                "casehistory verify --rules"
            )
        floors.append(Floor(rules, after))
    return sorted(floors, key=lambda f: f.rules)


def _sqlite_rows(cursor: Any) -> list[Floor]:
    cursor.execute(f"SELECT rules, after_position FROM {FLOOR_TABLE}")
    return _rows(cursor.fetchall())


def _postgres_rows(cursor: Any, schema: str) -> list[Floor]:
    cursor.execute(f'SELECT rules, after_position FROM "{schema}".{FLOOR_TABLE}')
    return _rows(cursor.fetchall())


def _claim_in_process(recorder: Any, existed: bool) -> list[Floor]:
    held: dict[int, Floor] = recorder.__dict__.setdefault(FLOOR_TABLE, {})
    head, policies, highest = _witnesses(recorder)
    floors = sorted(held.values(), key=lambda f: f.rules)
    lost = _lost(floors, existed, head, policies, highest, RULES_VERSION)
    if not any(f.rules == RULES_VERSION for f in lost):
        held.setdefault(RULES_VERSION, Floor(RULES_VERSION, head))
    return sorted([*held.values(), *lost], key=lambda f: f.rules)


def _claim_sqlite(datastore: Any, events: str, existed: bool) -> list[Floor]:
    claiming = claiming_sqlite(datastore, _CREATE.format(table=FLOOR_TABLE))
    return _claim(claiming, events, existed, FLOOR_TABLE, "?", _sqlite_rows, None)


def _claim_postgres(datastore: Any, events: str, existed: bool) -> list[Floor]:
    schema = datastore.schema
    table = f'"{schema}".{FLOOR_TABLE}'
    claiming = claiming_postgres(datastore, FLOOR_TABLE, _CREATE.format(table=table))
    return _claim(
        claiming, events, existed, table, "%s", lambda c: _postgres_rows(c, schema), schema
    )


def _claim(
    claiming: Any,
    events: str,
    existed: bool,
    table: str,
    mark: str,
    rows: Callable[[Any], list[Floor]],
    schema: str | None,
) -> list[Floor]:
    """Claim this release's floor in one serialized transaction (``claiming``): what is
    read and the insert see one log. A floor found lost is claimed nothing."""
    with claiming as cursor:
        floors = rows(cursor)
        if not any(f.rules == RULES_VERSION for f in floors):
            head, policies, highest = _witnesses_sql(cursor, events, schema)
            lost = _lost(floors, existed, head, policies, highest, RULES_VERSION)
            if any(f.rules == RULES_VERSION for f in lost):
                return _with_found(floors, lost)  # claimed nothing
            cursor.execute(
                f"INSERT INTO {table} (rules, after_position) VALUES ({mark}, {mark})",
                (RULES_VERSION, head),
            )
            return _with_found(rows(cursor), lost)
    return _with_found(floors, [])


def _with_found(floors: list[Floor], lost: list[Floor]) -> list[Floor]:
    return sorted([*floors, *lost], key=lambda f: f.rules)
