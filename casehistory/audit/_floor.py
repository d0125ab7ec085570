"""The rules versions of the cases' openings, checked against the store's floor and
against the log's own order (docs/auditing.md, "Rules versions").

Two checks, so that deleting the floor's table hides nothing the log itself shows:

- **the floor**: a case opened after the position from which its store took a rules
  version is held to that version at least (:mod:`casehistory.desk._rules_floor`);
- **the order**: a desk opens every case under the rules it holds, and a store's desks
  only move forward, so a case opened under older rules than a case opened before it
  in the log was not opened by a desk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from casehistory.audit.verify import Finding, Problem
from casehistory.desk._rules_floor import opening_positions, recorded_floors, require_floor
from casehistory.errors import RulesBelowFloor


class Openings:
    """Collects each replayed case's rules version; :meth:`findings` checks them all."""

    def __init__(self, recorder: Any) -> None:
        self._floors = recorded_floors(recorder)
        self._positions = opening_positions(recorder)
        self._rules: dict[UUID, int] = {}

    def add(self, case_id: UUID, rules: int) -> None:
        self._rules[case_id] = rules

    def findings(self) -> Iterator[Finding]:
        opened = sorted(
            (self._positions[case_id], case_id, rules)
            for case_id, rules in self._rules.items()
            if case_id in self._positions
        )
        highest: tuple[int, UUID] | None = None  # (rules, case) of the openings so far
        for position, case_id, rules in opened:
            try:
                require_floor(self._floors, case_id, rules, position)
            except RulesBelowFloor as refused:
                yield Finding(case_id, 1, Problem.UNLAWFUL, str(refused).split("; no desk")[0])
            else:
                if highest is not None and rules < highest[0]:
                    yield Finding(
                        case_id,
                        1,
                        Problem.UNLAWFUL,
                        f"opened under rules {rules} at log position {position}, after case "
                        f"{highest[1]} was opened under rules {highest[0]} (rule: rules "
                        "versions: a store's desks open cases under the rules they hold, "
                        "which only move forward)",
                    )
            if highest is None or rules > highest[0]:
                highest = (rules, case_id)
