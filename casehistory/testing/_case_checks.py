"""What a :class:`~casehistory.testing.CaseDeskMachine` has checked of one case so far.

Checking every case from its first event after every step makes a run quadratic in its
length. The machine keeps, per case, the stored rows it has seen, their events and
their fold, and takes in only the rows recorded since: it checks that the earlier ones
did not change (a store is append-only: the very bytes, compared without decoding
them), decodes the new ones only, and folds them onto the state it had, which must
equal folding the whole history (which is what loading through a snapshot relies on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from casehistory.domain.events import CaseEvent
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.state import CaseState, fold
from casehistory.views import CaseView

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk
    from casehistory.desk._as_of import Row

__all__ = ["CheckedCase"]


@attrs.define
class CheckedCase:
    """The stored rows of a case checked so far, their events, their fold, and the
    decisions they record."""

    case_id: UUID
    rows: tuple[Row, ...] = ()
    events: tuple[CaseEvent, ...] = ()
    state: CaseState | None = None
    recorded: list[PolicyDecision] = attrs.Factory(list)
    replayed: CaseView | None = attrs.field(default=None, eq=False, repr=False)
    """A view of the desk found equal to the view of ``state``: until new rows come, a
    view equal to it needs no view of ``state`` built again (a refused step's)."""
    read_with: CaseView | None = attrs.field(default=None, eq=False, repr=False)
    """The view of the desk the rows were last taken in with: a step that works on the
    case reads a new one, and the rows are taken in again once for it."""

    def take_in(self, desk: CaseDesk, view: CaseView) -> tuple[CaseEvent, ...]:
        """Take in the rows ``desk``'s store recorded since the last call (the rows
        themselves, not ``view``'s reading of them), unless ``view`` is the one they
        were last taken in with; return the new events."""
        if view is self.read_with:
            return ()
        self.read_with = view
        with desk._rows() as reading:
            rows = tuple(reading.events(self.case_id, 1, None))
        seen = len(self.rows)
        assert rows[:seen] == self.rows, (
            f"case {self.case_id}: events already recorded changed (a store is append-only)"
        )
        if seen == len(rows) and self.state is not None:
            return ()
        new = tuple(desk._decoded(self.case_id, rows[seen:]))
        self.state = fold(new, self.state)
        self.recorded += [
            value
            for event in new
            for value in vars(event).values()
            if isinstance(value, PolicyDecision)
        ]
        self.rows, self.events, self.replayed = rows, self.events + new, None
        return new
