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
(:class:`~casehistory.errors.RulesBelowFloor`) and reported by ``verify --rules``. No
desk writes at a position below 1 either, so a case whose opening lies there (a row
renumbered by SQL) is held to the highest floor, and one whose opening is not in the
log at all cannot be placed and is refused.

A writer desk claims its floor at open, in one serialized transaction (SQLite ``BEGIN
IMMEDIATE``, PostgreSQL an advisory lock): a row, once there, never moves, so a store
upgraded long ago keeps the position of its upgrade. A row is claimed only where none
can have stood: when the store shows that a desk of that version (or a later one) has
opened it for writing already (the floor's table itself, the table of policies that
the first floored release creates, an opening under that version) and the log holds
events, the row went missing beneath the desk. It is then **lost**, not claimed again
(where it stood is unknown, and a new claim at the head would lift it above whatever
was forged since): the desk takes it at position 0, so every case held to older rules
is refused until an operator restores the row, and ``verify --rules`` reports it. A
read-only desk reads no floor; ``verify --rules`` reads them itself.

Here: the rule a case meets (:func:`rules_at`, :func:`require_floor`, and where a case
was opened, :func:`opening_positions`). The table itself (its rows, claiming, the lost
rows) is in ``_floor_table.py``; its names are imported from here as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from casehistory._sql import reading
from casehistory.desk._floor_table import (
    FIRST_FLOORED,
    FLOOR_TABLE,
    Floor,
    claim_floor,
    floor_at_head,
    recorded_floors,
    store_floors,
)
from casehistory.errors import RulesBelowFloor

__all__ = [
    "FIRST_FLOORED",
    "FLOOR_TABLE",
    "Floor",
    "claim_floor",
    "floor_at_head",
    "opening_positions",
    "recorded_floors",
    "require_floor",
    "rules_at",
    "store_floors",
]

_RULE = "rule: rules versions: every case opened after a store's floor is held to it"


def rules_at(floors: Iterable[Floor], position: int) -> int:
    """The least rules version a case opened at log ``position`` may be held to (at a
    position below 1, where no desk writes, the highest floor's)."""
    if position < 1:
        return max((f.rules for f in floors), default=1)
    return max((f.rules for f in floors if position > f.after_position), default=1)


def require_floor(floors: Iterable[Floor], case_id: UUID, rules: int, position: int | None) -> None:
    """Raise :class:`RulesBelowFloor` if a case opened at ``position`` (None: its
    opening is not in the log) is held to less than the store's floor there."""
    floors = tuple(floors)
    if position is None:
        highest = max(floors, key=lambda f: f.rules, default=None)
        if highest is not None and rules < highest.rules:
            raise RulesBelowFloor(
                f"case {case_id} is held to rules {rules}, but the log holds no opening "
                f"(version 1) of it, so it cannot be placed against the store's floor of "
                f"rules {highest.rules} ({_RULE}; a case that cannot be placed is held to "
                "the highest floor); its opening was deleted or moved beneath the desk. "
                "Run casehistory verify"
            )
        return
    least = rules_at(floors, position)
    if rules >= least:
        return
    floor = max((f for f in floors if f.rules == least), key=lambda f: f.after_position)
    if position < 1:
        where = (
            f"but was opened at log position {position}, below the log's first position "
            "1, where no desk writes"
        )
    elif floor.lost:
        where = (
            f"but was opened at log position {position}, and the store's row of rules "
            f"{least} in {FLOOR_TABLE} is missing (taken from position 0 until it is "
            "restored)"
        )
    else:
        where = (
            f"but was opened at log position {position}, after the store took rules "
            f"{least} from position {floor.after_position}"
        )
    raise RulesBelowFloor(
        f"case {case_id} is held to rules {rules} {where} ({_RULE}); no desk opened this "
        "case: it was written beneath the desk. Run casehistory verify --rules"
    )


def opening_positions(recorder: Any, case_ids: Iterable[UUID] | None = None) -> dict[UUID, int]:
    """The log position of each case's first event (of every case, or of ``case_ids``),
    wherever it lies in the log (below 1 too), in the log's order."""
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
            rows = reader.rows(query + " ORDER BY {order}")
        else:
            rows = []
            for case_id in wanted:
                rows += reader.rows(query + " AND originator_id = ?", reader.case_id(case_id))
            rows.sort(key=lambda row: int(row[1]))
    return {_uuid(raw): int(position) for raw, position in rows}


def _uuid(raw: object) -> UUID:
    return raw if isinstance(raw, UUID) else UUID(str(raw))
