"""What a :class:`~casehistory.testing.CaseDeskMachine` has checked of one case so far.

Checking every case from its first event after every step makes a run quadratic in its
length. The machine keeps, per case, the events it has seen and their fold, and takes in
only the events recorded since: it checks that the earlier ones did not change (a store
is append-only), and that folding the new ones onto the state it had equals folding the
whole history (which is what loading through a snapshot relies on).
"""

from __future__ import annotations

from uuid import UUID

import attrs

from casehistory.domain.events import CaseEvent
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.state import CaseState, fold
from casehistory.views import CaseView

__all__ = ["CheckedCase"]


@attrs.define
class CheckedCase:
    """The events of a case checked so far, their fold, and the decisions they record."""

    case_id: UUID
    events: tuple[CaseEvent, ...] = ()
    state: CaseState | None = None
    recorded: list[PolicyDecision] = attrs.Factory(list)

    def take_in(self, view: CaseView) -> CaseState:
        """Take in the events of ``view`` recorded since the last call; return the fold."""
        events, seen = tuple(view.events), len(self.events)
        assert events[:seen] == self.events, (
            f"case {self.case_id}: events already recorded changed (a store is append-only)"
        )
        new = events[seen:]
        if new or self.state is None:
            self.state = fold(new, self.state)
            self.recorded += [
                value
                for event in new
                for value in vars(event).values()
                if isinstance(value, PolicyDecision)
            ]
            self.events = events
        return self.state
