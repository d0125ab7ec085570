"""A case's events as the exports show them: each with its trail line, the money it moved,
and the state the case was in right after it.

Shared by the CSV and HTML exports, so that both say the same thing about each event.
The state comes from :func:`~casehistory.domain.state.evolve`, the one fold the desk and
the views use: the status an export prints after an event is the status the rules saw.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs

from casehistory.domain.events import CaseEvent
from casehistory.domain.state import CaseState, evolve
from casehistory.domain.values import Money
from casehistory.views.trail import TrailLine, money_moved, trail

__all__ = ["Step", "steps"]


@attrs.frozen
class Step:
    """One event of a case, with what the exports print about it."""

    event: CaseEvent
    line: TrailLine
    money_label: str  # the trail's word for the money: "paid", "held"... ("" without)
    money: Money | None
    after: CaseState


def steps(events: Sequence[CaseEvent]) -> Iterator[Step]:
    """Walk a case's events, oldest first, folding as it goes."""
    state: CaseState | None = None
    for event, line in zip(events, trail(events), strict=True):
        state = evolve(state, event)
        label, money = money_moved(event) or ("", None)
        yield Step(event, line, label, money, state)
