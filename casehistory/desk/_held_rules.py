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
    require_floor,
)
from casehistory.domain.case import Case
from casehistory.domain.rulebook import RULES_VERSION
from casehistory.errors import RulesNewerThanDesk
from casehistory.store import READ_ONLY


class HeldRules(DeskBase):
    _floors: tuple[Floor, ...] = ()
    _opened_at_position: dict[UUID, int]
    _newer_floor: Floor | None = None
    """The store's floor of a rules version above this desk's, if a newer release has
    claimed one: this desk opens no case below it."""

    def _bind_policies(self) -> None:
        # A read-only desk runs no command, so it reads no floor: a damaged table must not
        # stop an audit (verify --rules reads and reports it). A writer claims its floor
        # before its policies: a store holding the table of policies has had its floor
        # claimed, so a floor missing from it went missing (docs/policies.md).
        self._opened_at_position = {}
        if not self._store.env.get(READ_ONLY):
            self._floors = tuple(claim_floor(self._store))
            newer = [f for f in self._floors if f.rules > RULES_VERSION]
            self._newer_floor = newer[-1] if newer else None
        super()._bind_policies()

    def _run(self, case_id: UUID, act: Callable[[Case, datetime], None]) -> int:
        def held(case: Case, now: datetime) -> None:
            self._require_floor(case)
            act(case, now)

        return super()._run(case_id, held)

    def _save(self, case: Case) -> None:
        newer = self._newer_floor
        if newer is not None and case.version - len(case.pending_events) == 0:
            raise RulesNewerThanDesk(
                f"this desk opens cases under rules {RULES_VERSION}, but the store took rules "
                f"{newer.rules} from log position {newer.after_position} (rule: rules "
                "versions: every case opened after a store's floor is held to it); a newer "
                "release writes to this store: open cases with a desk of that release"
            )
        super()._save(case)

    def _floor_at_head(self) -> None:
        """Move the store's floor to the log's head (:func:`floor_at_head`): for tests
        and migrations that write records of older rules on purpose."""
        self._floors = tuple(floor_at_head(self._recorder))

    def _require_floor(self, case: Case) -> None:
        """Refuse a case held to rules this desk does not know
        (:class:`~casehistory.errors.RulesNewerThanDesk`), or to rules below the store's
        floor where it was opened (:class:`~casehistory.errors.RulesBelowFloor`; a case
        whose opening the log does not hold is refused too). Only a case held to less
        than the highest floor costs a query, once per desk: its opening's position."""
        rules = case.state.rules
        if rules > RULES_VERSION:
            raise RulesNewerThanDesk(
                f"case {case.id} is held to rules {rules}, and this desk knows rules 1 to "
                f"{RULES_VERSION} (rule: rules versions: a case is served under the rules "
                "it is held to); a newer release opened it: act on it with a desk of that "
                "release, or upgrade"
            )
        if not self._floors or rules >= self._floors[-1].rules:
            return
        position = self._opened_at_position.get(case.id)
        if position is None:
            position = opening_positions(self._recorder, [case.id]).get(case.id)
            if position is not None:
                self._opened_at_position[case.id] = position
        require_floor(self._floors, case.id, rules, position)
