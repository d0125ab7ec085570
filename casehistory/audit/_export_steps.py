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
from casehistory.views.trail import TrailLine, trail

__all__ = ["Step", "money_of", "steps"]

# The event fields that hold the money an event records, whatever it is called.
_MONEY_FIELDS = ("amount", "value", "cost")


def money_of(event: CaseEvent) -> Money | None:
    """The money ``event`` records (a payment's amount, goodwill's value...), or None."""
    for name in _MONEY_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, Money):
            return value
    return None


@attrs.frozen
class Step:
    """One event of a case, with what the exports print about it."""

    event: CaseEvent
    line: TrailLine
    money: Money | None
    after: CaseState


def steps(events: Sequence[CaseEvent]) -> Iterator[Step]:
    """Walk a case's events, oldest first, folding as it goes."""
    state: CaseState | None = None
    for event, line in zip(events, trail(events), strict=True):
        state = evolve(state, event)
        yield Step(event, line, money_of(event), state)
