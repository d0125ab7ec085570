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

from datetime import datetime
from typing import Any

import attrs
from hypothesis import strategies as st

from casehistory.testing._commands import Command
from casehistory.testing._coverage import LABELS, PLANS, Goal, done, next_key
from casehistory.testing._model import CaseModel
from casehistory.testing._steps import draw_in, draw_when, index, stable_choice, tickets
from casehistory.testing._values import near_month_edge
from casehistory.testing._vocabulary import STEP_OF, STEPS, enabled

__all__ = ["Course", "courses", "steered_commands"]

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


@st.composite
def _courses(draw: st.DrawFn) -> Course:
    edges = index(draw, 4) != 0
    picks = [index(draw, len(LABELS) + 1) for _ in range(_PICKS)]
    labels = [LABELS[n - 1] for n in picks if n]
    plan = tuple(goal for label in labels for goal in PLANS[label])
    return Course(plan, edges or "month differs in UTC" in labels)


def courses() -> st.SearchStrategy[Course]:
    """The course of a new case: shrinks to none (no plan, times as drawn)."""
    return _courses()


_ALL_TICKETS = tickets(STEPS)
_STEER = st.integers(0, 3)  # 0: the step as drawn; else the plan's next step, if any


@st.composite
def _steered(draw: st.DrawFn, model: CaseModel, course: Course) -> Command:
    # The draws of next_command, and one more: whether to take the plan's next step.
    # Always as many choices whichever step is taken, so that the shrinker lowering
    # one changes no later draw.
    step = stable_choice(draw, _ALL_TICKETS, tickets(enabled(model), heaviest_first=True))
    when = course.when(draw_when(draw))
    steer = draw(_STEER) != 0
    fixed: dict[str, Any] = {}
    if steer and course.plan and (key := next_key(model, course.plan[0])) is not None:
        step = STEP_OF[key]
        fixed = dict(course.plan[0].fixed) if key == course.plan[0].key else {}
    return draw_in(draw, step, model, when, fixed)


def steered_commands(model: CaseModel, course: Course) -> st.SearchStrategy[Command]:
    """A command the case ``model`` describes must accept, steered by ``course``."""
    return _steered(model, course)
