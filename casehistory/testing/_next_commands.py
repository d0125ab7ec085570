"""The strategies that draw one step of a case from its :class:`~casehistory.testing.
CaseModel`, for state machines: :func:`next_command` (a command the desk must accept)
and :func:`next_invalid_command` (one it must refuse, and the error it raises).

Users import them from :mod:`casehistory.testing.strategies`, which imports them from
here and lists them in its ``__all__``. Separate from the strategies of whole histories
and single commands there: these take a model instead of bounds, and draw the next
command of a case that a machine (or the user's own) keeps, not a case of their own.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from casehistory.errors import CaseHistoryError
from casehistory.testing._bias import ALL_TICKETS
from casehistory.testing._commands import Command
from casehistory.testing._histories import STEP_ROW, enabled
from casehistory.testing._model import CaseModel
from casehistory.testing._raw import Row, reader
from casehistory.testing._refusals import draw_refusal
from casehistory.testing._steps import draw_in, draw_when, stable_pick

__all__ = ["next_command", "next_invalid_command"]


_NEXT = Row("step", STEP_ROW)


def _require_model(model: object) -> CaseModel:
    if not isinstance(model, CaseModel):
        raise InvalidArgument(f"model={model!r} must be a CaseModel")
    return model


class _Next(st.SearchStrategy[Command]):
    """The next command of a case, drawn a row of raw choices at once (see ``_raw``)."""

    def __init__(self, model: CaseModel) -> None:
        super().__init__()
        self.model = model

    def __repr__(self) -> str:
        return f"next_command({self.model!r})"

    def do_draw(self, data: Any) -> Command:
        draw, model = reader(data, data.draw(_NEXT)), self.model
        step = stable_pick(draw, ALL_TICKETS, functools.partial(enabled, model))
        return draw_in(draw, step, model, draw_when(draw))


def next_command(model: CaseModel) -> st.SearchStrategy[Command]:
    """One :class:`~casehistory.testing.Command` that a desk must accept on the case
    that ``model`` describes, drawn as :func:`case_histories` draws each step.

    The strategy does not change ``model`` (models are immutable): once the desk
    accepted the command, carry on with ``model.after(command)``. This is the step of a
    state machine over many cases, one model per case::

        @rule(data=st.data())
        def step(self, data):
            case_id = data.draw(st.sampled_from(sorted(self.models)))
            command = data.draw(next_command(self.models[case_id]))
            command.apply(self.desk, case_id)
            self.models[case_id] = self.models[case_id].after(command)

    Links name one of ``model.link_targets`` (none are drawn when it is empty); give
    the ids of other cases on the desk, ``CaseModel.of_opening(opening, link_targets=(...))``
    (``opening``: the keywords of ``open_case``, which the model needs to keep every
    command at or after the opening and spoken by the case's own customer).
    Shrinking: towards a note (or, where the case allows none, the next step it allows,
    the heaviest first), the simplest arguments and a business time at the case's
    opening; one drawn value names the same step whatever the case, so shrinking an
    earlier step of a state machine leaves this one as it was where the case still
    allows it.

    >>> from hypothesis import given
    >>> from casehistory import Status
    >>> from casehistory.testing import CaseModel
    >>> from casehistory.testing.strategies import next_command
    >>> @given(next_command(CaseModel()))
    ... def test_a_new_case_takes_it(command):
    ...     assert CaseModel().after(command).status in (Status.NEW, Status.OPEN)
    >>> test_a_new_case_takes_it()
    """
    return _Next(_require_model(model))


@st.composite
def _refusal(draw: st.DrawFn, model: CaseModel) -> tuple[Command, type[CaseHistoryError]]:
    return draw_refusal(draw, model)


def next_invalid_command(
    model: CaseModel,
) -> st.SearchStrategy[tuple[Command, type[CaseHistoryError]]]:
    """A command that a desk must refuse on the case that ``model`` describes, and the
    exact :class:`~casehistory.CaseHistoryError` subclass it must raise.

    Drawn among the rules the case can break at that point (see
    :func:`invalid_commands`). The desk records nothing for it, so ``model`` stays as it
    is. Shrinking: towards the first rule the case can break (an actor whose role may
    not record the event) and that rule's simplest command; the error always stays the
    one the command's rule raises. Caveat: one rule gives a business time 400 days or more after
    :data:`CLOCK_START`, refused as :class:`~casehistory.OccurredInFuture` by a desk
    whose clock has not got there.

    >>> import pytest
    >>> from hypothesis import given, strategies as st
    >>> from casehistory import CaseDesk, SteppingClock
    >>> from casehistory.testing.strategies import (
    ...     CLOCK_START, case_histories, next_invalid_command
    ... )
    >>> @given(case_histories(max_commands=5), st.data())
    ... def test_refused_on_the_spot(history, data):
    ...     command, error = data.draw(next_invalid_command(history.model))
    ...     desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    ...     case_id = history.apply(desk)
    ...     with pytest.raises(error):
    ...         command.apply(desk, case_id)
    >>> test_refused_on_the_spot()
    """
    return _refusal(_require_model(model))
