"""``desk.allowed`` against the desk itself, on drawn case histories and actors:

- *withheld => refused*: any command drawn by the testing toolkit (its arguments
  narrowed by the independent model where it can, so most are accepted), given by the
  drawn actor, that the desk accepts was offered, with the target it acted on;
- *offered => accepted*: a command offered is accepted for real, on a second desk
  with the same history (which also offers exactly the same), and records its event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import Actor, Allowed, CaseDesk, Role, SteppingClock
from casehistory.desk._probes import PROBES, Situation
from casehistory.domain.declarations import COMMANDS
from casehistory.errors import CaseHistoryError
from casehistory.testing._commands import companion
from casehistory.testing._rules import CAST
from casehistory.testing._steps import draw_in, draw_when
from casehistory.testing._vocabulary import STEPS, enabled
from casehistory.testing.strategies import CLOCK_START, CaseHistory, case_histories

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _desk_with(history: CaseHistory) -> tuple[CaseDesk, UUID]:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    companion(desk, case_id)  # a case to link to, whether or not the history linked
    return desk, case_id


def _actors(history: CaseHistory) -> st.SearchStrategy[Actor]:
    customer = history.opening["customer"].id
    return st.sampled_from(
        (
            *CAST,
            Actor(customer, Role.CUSTOMER),
            Actor("C-stranger", Role.CUSTOMER),
            Actor("i.audit", Role.AUDITOR),
            Actor("v.acme", Role.VENDOR),
        )
    )


def _target_of(method: str, kwargs: dict[str, Any], offered: Allowed) -> str | None:
    argument = COMMANDS[method].target_argument
    if argument is not None:
        return str(kwargs[argument])
    return offered.targets[0] if offered.targets else None


@settings(max_examples=300, deadline=None, suppress_health_check=_SLOW)
@given(history=case_histories(max_commands=25), data=st.data())
def test_a_command_the_desk_accepts_was_offered(history: CaseHistory, data: st.DataObject) -> None:
    desk, case_id = _desk_with(history)
    model = history.model
    # Mostly a step the model says the case takes now, by someone who may take it, so
    # that most commands are accepted; else any step, by anyone.
    ready = enabled(model)
    steps = st.sampled_from(STEPS) if not ready else st.sampled_from(ready) | st.sampled_from(STEPS)
    step = data.draw(steps, label="step")
    actor = data.draw(step.by | _actors(history), label="by")
    if step.ready is not None and not step.ready(model):
        step = attrs.evolve(step, narrow=None)  # nothing to narrow to: plain draws
    command = draw_in(data.draw, step, model, draw_when(data.draw))
    kwargs = {**command.kwargs, "by": actor}
    at: datetime = kwargs["occurred_at"]
    offered = {a.command: a for a in desk.allowed(case_id, by=actor, occurred_at=at)}
    before = len(desk.history(case_id))

    try:
        attrs.evolve(command, kwargs=kwargs).apply(desk, case_id)
    except CaseHistoryError:
        assert len(desk.history(case_id)) == before
        return

    assert command.method in offered, f"{command.method} accepted from {actor} but withheld"
    target = _target_of(command.method, kwargs, offered[command.method])
    if offered[command.method].target is not None:
        assert target in offered[command.method].targets


@settings(max_examples=150, deadline=None, suppress_health_check=_SLOW)
@given(history=case_histories(max_commands=25), data=st.data())
def test_a_command_offered_is_accepted(history: CaseHistory, data: st.DataObject) -> None:
    desk, case_id = _desk_with(history)
    actor = data.draw(_actors(history), label="by")
    at = CLOCK_START  # after every business time of a history, before every store time
    offered = desk.allowed(case_id, by=actor, occurred_at=at)
    again, other_id = _desk_with(history)
    assert again.allowed(other_id, by=actor, occurred_at=at) == offered
    if not offered:
        return
    chosen = data.draw(st.sampled_from(offered), label="offered")
    target = data.draw(st.sampled_from(chosen.targets), label="target") if chosen.targets else None

    state = again.case(other_id)
    situation = Situation(
        again._load(other_id).state, actor, at.date(), lambda: again._other_case(other_id)
    )
    before = len(again.history(other_id))
    refusals = []
    for probe in PROBES[chosen.command](situation):
        if probe.target != target:
            continue
        try:
            getattr(again, chosen.command)(other_id, by=actor, occurred_at=at, **probe.arguments)
        except CaseHistoryError as refused:
            refusals.append(refused)
            continue
        break
    else:
        raise AssertionError(f"{chosen} offered, refused for real: {refusals} ({state.status})")
    events = again.history(other_id)
    assert len(events) == before + 1
    assert type(events[-1]).__name__ == chosen.event
