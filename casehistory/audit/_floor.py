"""The rules versions of the cases' openings, checked against the store's floor and
against the log's own order (docs/auditing.md, "Rules versions").

Two checks, so that deleting the floor's table hides nothing the log itself shows:

- **the floor**: a case opened after the position from which its store took a rules
  version (or below position 1, where no desk writes) is held to that version at least
  (:mod:`casehistory.desk._rules_floor`); a floor whose row went missing is reported
  and taken at position 0, and a floor's table that cannot be read is reported, the
  order still checked;
- **the order**: a desk opens every case under the rules it holds, and a store's desks
  only move forward, so a case opened under older rules than a case opened before it
  in the log was not opened by a desk. Only a lawful opening raises that bar: one the
  rules refuse (a version this release does not know, among others) is reported
  itself, and the openings after it are held to what came before it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID

from casehistory.audit.verify import Finding, Problem
from casehistory.desk._rules_floor import (
    FLOOR_TABLE,
    Floor,
    opening_positions,
    require_floor,
    store_floors,
)
from casehistory.errors import RulesBelowFloor, StoreUnavailable


class Openings:
    """Collects each replayed case's rules version; :meth:`findings` checks them all."""

    def __init__(self, recorder: Any) -> None:
        self._store_findings: list[Finding] = []
        try:
            self._floors: list[Floor] = store_floors(recorder)
        except StoreUnavailable as error:
            self._floors = []
            self._store_findings.append(
                Finding(
                    None,
                    None,
                    Problem.UNREADABLE,
                    f"{error}; no case is checked against the store's floor of rules, "
                    "only against the log's order",
                )
            )
        for floor in self._floors:
            if floor.lost:
                self._store_findings.append(
                    Finding(
                        None,
                        None,
                        Problem.UNLAWFUL,
                        f"the store's floor of rules ({FLOOR_TABLE}) has no row of rules "
                        f"{floor.rules}, though a desk of rules {floor.rules} or later has "
                        "opened this store for writing: the row was deleted beneath the "
                        "desk. Every case is checked as if the floor stood at position 0 "
                        "(a case held to older rules is refused) until the row is restored",
                    )
                )
        self._positions = opening_positions(recorder)
        self._rules: dict[UUID, tuple[int, bool]] = {}

    @property
    def positions(self) -> Mapping[UUID, int]:
        """The log position of every case's opening, wherever it lies, in the log's order."""
        return self._positions

    def add(self, case_id: UUID, rules: int, *, lawful: bool = True) -> None:
        """A replayed case's rules version, and whether its opening is lawful."""
        self._rules[case_id] = (rules, lawful)

    def findings(self) -> Iterator[Finding]:
        yield from self._store_findings
        opened = sorted(
            (self._positions[case_id], case_id, rules, lawful)
            for case_id, (rules, lawful) in self._rules.items()
            if case_id in self._positions
        )
        highest: tuple[int, UUID] | None = None  # (rules, case) of the lawful openings so far
        for position, case_id, rules, lawful in opened:
            try:
                require_floor(self._floors, case_id, rules, position)
            except RulesBelowFloor as refused:
                yield Finding(case_id, 1, Problem.UNLAWFUL, str(refused).split("; no desk")[0])
                continue
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
            elif lawful and (highest is None or rules > highest[0]):
                highest = (rules, case_id)
