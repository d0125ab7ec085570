"""The store's floor of rules versions, as a desk's commands meet it
(:mod:`casehistory.desk._rules_floor`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from casehistory.desk._base import DeskBase
from casehistory.desk._rules_floor import (
    Floor,
    claim_floor,
    floor_at_head,
    opening_positions,
    recorded_floors,
    require_floor,
)
from casehistory.domain.case import Case
from casehistory.store import READ_ONLY


class HeldRules(DeskBase):
    _floors: tuple[Floor, ...] = ()
    _opened_at_position: dict[UUID, int]

    def _bind_policies(self) -> None:
        super()._bind_policies()
        floors = (
            recorded_floors(self._recorder)
            if self._store.env.get(READ_ONLY)
            else claim_floor(self._store)
        )
        self._floors = tuple(floors)
        self._opened_at_position = {}

    def _run(self, case_id: UUID, act: Callable[[Case, datetime], None]) -> int:
        def held(case: Case, now: datetime) -> None:
            self._require_floor(case)
            act(case, now)

        return super()._run(case_id, held)

    def _floor_at_head(self) -> None:
        """Move the store's floor to the log's head (:func:`floor_at_head`): for tests
        and migrations that write records of older rules on purpose."""
        self._floors = tuple(floor_at_head(self._recorder))

    def _require_floor(self, case: Case) -> None:
        """Refuse a case held to rules below the store's floor where it was opened
        (:class:`~casehistory.errors.RulesBelowFloor`). Only a case held to less than
        the highest floor costs a query, once per desk: its opening's position."""
        rules = case.state.rules
        if not self._floors or rules >= self._floors[-1].rules:
            return
        position = self._opened_at_position.get(case.id)
        if position is None:
            found = opening_positions(self._recorder, [case.id])
            position = found.get(case.id, 0)
            self._opened_at_position[case.id] = position
        require_floor(self._floors, case.id, rules, position)
