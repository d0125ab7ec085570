"""How :func:`~casehistory.testing.strategies.case_histories` draws a history: a head
row (how many commands, the labels pursued, months' edges), the opening's row, then one
row of raw choices per slot (see ``_raw``), each slot's step named by a ticket that means
the same step whatever the case, steered only by the weights Hypothesis generates with
(see ``_bias``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import attrs
from hypothesis import event
from hypothesis import strategies as st

from casehistory.domain.lifecycle import Status
from casehistory.testing._bias import ALL_TICKETS, ticket_weights, wishes
from casehistory.testing._commands import OTHER_CASE, Command
from casehistory.testing._coverage import LABELS, PLANS, Goal, done, labels_of, next_key
from casehistory.testing._history import CaseHistory
from casehistory.testing._model import CaseModel
from casehistory.testing._raw import VALUE_MAX, Row, reader
from casehistory.testing._steps import (
    WHEN_MAX,
    Step,
    draw_in,
    draw_opening,
    draw_when,
    index,
    walk_from,
)
from casehistory.testing._values import forward_from, near_month_edge
from casehistory.testing._vocabulary import STEP_OF

__all__ = ["STEP_ROW", "Histories", "enabled"]


@attrs.define
class _Drawing:
    """A history being drawn: the model so far, the commands, how many it needs, the
    plan it is steered by (and how far along it is), and how its business times run."""

    model: CaseModel
    needed: int
    plan: tuple[Goal, ...] = ()
    edges: bool = False
    forward: bool = False
    latest: datetime | None = None
    commands: list[Command] = attrs.Factory(list)

    @property
    def goal(self) -> Goal | None:
        return self.plan[0] if self.plan else None

    def took(self, command: Command) -> None:
        self.commands.append(command)
        self.model = self.model.after(command)
        when = command.kwargs["occurred_at"]
        self.latest = when if self.latest is None else max(self.latest, when)
        while self.plan and done(self.plan[0], command, self.model):
            self.plan = self.plan[1:]

    def when(self, drawn: datetime) -> datetime:
        """The business time of the next command (or of the opening), from ``drawn``."""
        if self.forward and self.latest is not None:
            moved = forward_from(self.latest, drawn)
            if self.edges and (edge := near_month_edge(moved)) >= self.latest:
                return edge
            return moved
        return near_month_edge(drawn) if self.edges else drawn


_VALUES = 4
"""The numbers a command's arguments are decoded from (they take up to 6: a quarter of
the commands take a fifth, derived from these, see ``_raw.Reader``)."""
STEP_ROW = [(0, 1023), (0, WHEN_MAX)] + [(0, VALUE_MAX)] * _VALUES
"""A step's choices: a ticket (see stable_pick), its business time, its arguments."""
_NEXT = Row("step", STEP_ROW)
_SLOT = Row("slot", [(0, 255), (0, len(ALL_TICKETS) - 1), *STEP_ROW[1:]])
"""A slot of a history: what it holds (none, or a command; whether a closed case ends
there), then a step. Every slot takes as many choices, so Hypothesis, which mutates an
example by copying one part of it over another (one command's choices over another's)
and replays it with exactly as many choices, seldom runs out of them and gives the
example up."""
_OPENING = Row("opening", [(0, WHEN_MAX)] + [(0, VALUE_MAX)] * 14)
"""The opening's choices: its business time, its facts (14 numbers)."""
_ENDS = 4
"""The bit of a slot's flags that ends a history once its command closed the case."""
_WALKS = 8
"""Flags of 8 or more: a slot whose ticket names a step the case does not take holds
the plan's next step, or the next step the case takes; below 8 (what the shrinker
lowers flags to), it holds none."""
_GOING_ON = {_WALKS + 1: 0.97}
"""The flags of a slot while a plan is under way: a command, and the case not ending."""


def enabled(model: CaseModel, step: Step) -> bool:
    return model.allows(step.key) and (step.ready is None or step.ready(model))


def _step_of(
    draw: st.DrawFn, drawing: _Drawing, flags: int, spare: bool, steer: str | None
) -> Command | None:
    """The command of a slot: the step its ticket names, with the arguments its numbers
    decode to. One ticket names the same step whatever the case (see ``_bias``).

    Where the case does not take it: with flags below 8 the slot holds none (where the
    history can ``spare`` a command); else the step ``steer`` names (a plan asked for
    with ``reaching=``), or the nearest step before it in the tickets that the case
    takes. Generated slots name steps the case takes; the others come from Hypothesis's
    mutations (one slot's choices copied over another's), and from the shrinker. The
    shrinker lowers flags below 8 early, and a ticket to the smallest that still names
    the step, which is its own (the walk goes down): then deleting a command deletes the
    ones that needed it (an RMA's return, once the RMA is gone), and every other command
    stays as it was."""
    model = drawing.model
    at = index(draw, len(_ALL_TICKETS))
    step = _ALL_TICKETS[at]
    when = drawing.when(draw_when(draw))
    if not enabled(model, step):
        if flags < _WALKS and spare:
            return None
        found = STEP_OF[steer] if steer else _below(model, at)
        if found is None:
            if spare:
                return None
            found = walk_from(_ALL_TICKETS, step, partial(enabled, model))
        step = found
    return draw_in(draw, step, model, when)


def _below(model: CaseModel, at: int) -> Step | None:
    """The nearest step at or before ticket ``at`` that the case takes, if any."""
    return next((s for s in _ALL_TICKETS[at::-1] if enabled(model, s)), None)


class _SlotBias:
    """The weights of a slot's choices as Hypothesis generates them (see ``_bias``): a
    command rather than an empty slot, and no end while a plan is under way; a step the
    case takes (the plan's next one three times in four); the plan's arguments."""

    __slots__ = ("drawing", "key", "wished")

    def __init__(self, drawing: _Drawing) -> None:
        self.drawing = drawing
        goal = drawing.goal
        self.key = None if goal is None else next_key(drawing.model, goal)
        self.wished: dict[int, int] | None = None

    def __call__(self, position: int, numbers: Sequence[int]) -> dict[int, float] | None:
        if position == 0:
            return _GOING_ON if self.drawing.plan else None
        if position == 1:
            return ticket_weights(self.drawing.model, self.key)
        if position < 3 or self.key is None:
            return None
        if self.wished is None:
            self.wished = self._wishes(numbers)
        number = self.wished.get(position - 1)
        return None if number is None else {number: 0.9}

    def _wishes(self, numbers: Sequence[int]) -> dict[int, int]:
        goal, key, model = self.drawing.goal, self.key, self.drawing.model
        step = _ALL_TICKETS[numbers[1] % len(_ALL_TICKETS)]
        if goal is None or not goal.fixed or key != goal.key or step.key != key:
            return {}
        when = self.drawing.when(draw_when(reader(None, numbers[2:3])))
        return wishes(step, model, when, goal.fixed, len(STEP_ROW), 2)


_ALL_TICKETS = ALL_TICKETS
_PICKS = 3
_ROOM = 4
"""How many labels a history steered by default pursues, one after the other."""
_MONTHS = "month differs in UTC"
_ON_EDGES = {1: 0.98}


class _HeadBias:
    """The head's weights: times on months' edges for a history pursuing a month that
    differs in UTC (the last number, after the labels)."""

    def __call__(self, position: int, numbers: Sequence[int]) -> dict[int, float] | None:
        if position != 1 + _PICKS:
            return None
        picked = {_picked(n) for n in numbers[1:]}
        return _ON_EDGES if _MONTHS in picked else None


def _picked(number: int) -> str | None:
    n = number % (len(LABELS) + 1)
    return LABELS[n - 1] if n else None


_HEAD = Row("head", [(0, 1023)] * (2 + _PICKS))
"""How many commands, the labels pursued, whether times sit on months' edges."""


class Histories(st.SearchStrategy[CaseHistory]):
    """Histories drawn a row of raw choices at a time (see ``_raw``): the head, the
    opening, then one row per slot."""

    def __init__(
        self, low: int, high: int, reaching: tuple[str, ...] = (), forward: bool = False
    ) -> None:
        super().__init__()
        self.low, self.high, self.reaching, self.forward = low, high, reaching, forward

    def __repr__(self) -> str:
        return (
            f"case_histories(min_commands={self.low}, max_commands={self.high}, "
            f"reaching={self.reaching!r}, forward_time={self.forward!r})"
        )

    def do_draw(self, data: Any) -> CaseHistory:
        low, high, reaching = self.low, self.high, self.reaching
        numbers = _HEAD.draw_biased(data, _HeadBias())
        # The number of commands first: Hypothesis sizes its first examples by the
        # simplest history after the first choices it makes, so that one must have as
        # many slots.
        count = low + numbers[0] % (high - low + 1)
        # Swarm testing: up to three labels pursued, each maybe none. They only weigh
        # the choices as Hypothesis generates them (see _bias): the shrinker drops them
        # and the history stays as it was.
        labels = reaching or tuple(
            label for n in numbers[1 : 1 + _PICKS] if (label := _picked(n)) is not None
        )
        edges = numbers[1 + _PICKS] % 4 != 0 or _MONTHS in reaching
        plan = tuple(goal for label in labels for goal in PLANS[label])
        if reaching:  # room for the plan: a few steps a goal, where max_commands allows
            count = max(count, min(high, _ROOM * len(plan) + _ROOM))
        drawing = _Drawing(CaseModel(), low, plan, edges, self.forward)
        row = reader(data, data.draw(_OPENING))
        when = drawing.when(draw_when(row))
        opening = draw_opening(row, when)
        drawing.model = CaseModel.of_opening(opening, (OTHER_CASE,))
        drawing.latest = opening["occurred_at"]
        models = [drawing.model]
        ended = False
        for slot in range(count):
            if ended:
                # The history ended, yet every slot is drawn: Hypothesis replays a
                # mutated example with as many choices as the original made, and a
                # mutation that keeps the case open would need the slots after the end.
                data.draw(_SLOT)
                continue
            bias = _SlotBias(drawing)
            numbers = _SLOT.draw_biased(data, bias)
            flags = numbers[0]
            # A slot the shrinker lowers to 0 holds no command (where the history can
            # spare one). Every slot has its own row of choices: lowering one changes
            # no later draw, so the later commands, drawn against the same model, stay
            # as they were (or vanish, if they needed the one deleted: see _step_of).
            spare = count - slot - 1 >= drawing.needed - len(drawing.commands)
            if flags == 0 and spare:
                continue
            steer = bias.key if reaching else None
            command = _step_of(reader(data, numbers[1:]), drawing, flags, spare, steer)
            if command is None:
                continue
            drawing.took(command)
            models.append(drawing.model)
            # A closed case often stays closed: the history ends here.
            closed = drawing.model.status is Status.CLOSED
            ended = closed and len(drawing.commands) >= low and flags & _ENDS != 0
        history = CaseHistory(opening, drawing.commands, drawing.model)
        for label in labels_of(opening, history.commands, models):
            event(f"history: {label}")
        return history
