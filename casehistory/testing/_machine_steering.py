"""How a :class:`~casehistory.testing.CaseDeskMachine` steers each case it opens towards
the states bugs hide in, as :func:`~casehistory.testing.strategies.case_histories` does.

Each case gets a :class:`Course` when it is opened (swarm testing, per case): up to
three of the coverage labels of :mod:`casehistory.testing._coverage` to pursue one after
the other (a refund after a reopen, a policy exception, the customer writing first...),
and, three times in four, business times on months' edges, where a month read in local
time is not the month in UTC. A command the case accepts is then the plan's next step
three times in four (when the case can take it), else drawn as
:func:`~casehistory.testing.strategies.next_command` draws it.

Every choice shrinks towards no plan, times as drawn and the command as drawn, so a
shrunk counterexample keeps only the steps the failure needs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from casehistory.testing._commands import Command
from casehistory.testing._coverage import LABELS, PLANS, Goal, done, next_key
from casehistory.testing._model import CaseModel
from casehistory.testing._raw import VALUE_MAX, Reader, Row
from casehistory.testing._steps import (
    WHEN_MAX,
    Step,
    draw_in,
    draw_when,
    index,
    stable_pick,
    tickets,
)
from casehistory.testing._values import near_month_edge
from casehistory.testing._vocabulary import STEP_OF, STEPS

__all__ = ["STEP_ROW", "Course", "course_from", "row_reader", "steered_command"]

_PICKS = 3
"""How many labels a case pursues at most (each pick may be none)."""


@attrs.frozen
class Course:
    """What a case is steered towards: the goals left of its plan, and whether its
    business times sit on months' edges."""

    plan: tuple[Goal, ...] = ()
    edges: bool = False

    def after(self, command: Command, model: CaseModel) -> Course:
        """The course once the case took ``command`` and became ``model``."""
        plan = self.plan
        while plan and done(plan[0], command, model):
            plan = plan[1:]
        return self if plan is self.plan else attrs.evolve(self, plan=plan)

    def when(self, drawn: datetime) -> datetime:
        """The business time of a command drawn as ``drawn``."""
        return near_month_edge(drawn) if self.edges else drawn


def course_from(draw: st.DrawFn) -> Course:
    """The course of a new case, drawn with ``draw`` (Hypothesis's, or a ``_raw`` reader
    over a step's row): shrinks to none (no plan, times as drawn)."""
    edges = index(draw, 4) != 0
    picks = [index(draw, len(LABELS) + 1) for _ in range(_PICKS)]
    labels = [LABELS[n - 1] for n in picks if n]
    plan = tuple(goal for label in labels for goal in PLANS[label])
    return Course(plan, edges or "month differs in UTC" in labels)


_ALL_TICKETS = tickets(STEPS)

STEP_ROW = Row(
    "machine step",
    [(0, 255), (0, 15), (0, 3), (0, 1023), (0, WHEN_MAX)] + [(0, VALUE_MAX)] * 4,
)
"""The choices of a machine's step, drawn at once (see ``_raw``): the case it works on
(see ``_machine_draws.place_of``), what it does (``machine._KIND``), whether an accepted
command is the plan's next step, then the command: a ticket, its business time, four
numbers its arguments are decoded from. Every step takes as many choices, so that
Hypothesis, which mutates an example by copying one step over another, seldom runs out
of them and gives the example up."""


_UUIDS = STEP_OF["CasesLinked"].args["other_case_id"]


class _Reader(Reader):
    """The ``_raw`` reader of a machine's step, which also reads the id of a case that
    does not exist (a link the desk refuses) from the row: a strategy the row cannot
    read is drawn after it, which makes the step wider than the others, and Hypothesis,
    copying a step over such a one, left runs short of choices (given up)."""

    __slots__ = ()

    def __call__(self, strategy: SearchStrategy[Any]) -> Any:
        if strategy is _UUIDS:
            return UUID(int=(self.next() * 0x9E3779B97F4A7C15 + 1) % 2**128, version=4)
        return super().__call__(strategy)


def row_reader(data: Any, numbers: Sequence[int]) -> st.DrawFn:
    """A ``draw`` function reading ``numbers``, a part of a :data:`STEP_ROW`."""
    return cast(st.DrawFn, _Reader(data, numbers))


def _enabled(model: CaseModel, step: Step) -> bool:
    return model.allows(step.key) and (step.ready is None or step.ready(model))


def steered_command(data: Any, numbers: Sequence[int], model: CaseModel, course: Course) -> Command:
    """The command of a step's ``numbers`` (a :data:`STEP_ROW`, ``data`` the example's
    choices) that the case ``model`` describes must accept, steered by ``course``:
    the plan's next step three times in four when the case can take it, else drawn as
    :func:`~casehistory.testing.strategies.next_command` draws it."""
    draw = row_reader(data, numbers[3:])
    step = stable_pick(draw, _ALL_TICKETS, functools.partial(_enabled, model))
    when = course.when(draw_when(draw))
    fixed: dict[str, Any] = {}
    if numbers[2] and course.plan and (key := next_key(model, course.plan[0])) is not None:
        step = STEP_OF[key]
        fixed = dict(course.plan[0].fixed) if key == course.plan[0].key else {}
    return draw_in(draw, step, model, when, fixed)
