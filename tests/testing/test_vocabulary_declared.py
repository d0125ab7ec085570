"""The testing toolkit's vocabulary is derived from the declaration of each command: a
step for every declared command, drawing exactly its arguments, in their order."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from hypothesis import strategies as st

from casehistory.domain.declarations import COMMANDS, command_arguments
from casehistory.domain.lifecycle import TRANSITIONS
from casehistory.domain.values import Actor, Channel, Demeanour, Money
from casehistory.testing._arguments import argument_strategies, strategy_for
from casehistory.testing._commands import EVENT_OF
from casehistory.testing._steps import Step
from casehistory.testing._values import money, texts
from casehistory.testing._vocabulary import STEPS

_AFTER_OPENING = sorted(set(COMMANDS) - {"open_case"})


@pytest.mark.parametrize("name", _AFTER_OPENING)
def test_every_declared_command_has_a_step(name: str) -> None:
    steps = [s for s in STEPS if s.method == name]
    assert steps, f"{name} is declared but the testing toolkit has no step for it"
    keys = {s.key for s in steps}
    assert keys == {k for k in TRANSITIONS if k.split(" (")[0] == COMMANDS[name].event.__name__}


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.key)
def test_a_step_draws_its_commands_arguments_in_their_order(step: Step) -> None:
    assert list(step.args) == [p.name for p in command_arguments(COMMANDS[step.method])]
    assert step.event == COMMANDS[step.method].event.__name__


def test_event_of_is_the_declarations() -> None:
    assert {n: d.event.__name__ for n, d in COMMANDS.items() if n != "open_case"} == EVENT_OF


def test_defaults_follow_the_annotations() -> None:
    assert strategy_for(str) is texts
    assert repr(strategy_for(Channel)) == repr(st.sampled_from(Channel))
    assert repr(strategy_for(Demeanour | None)) == repr(st.none() | st.sampled_from(Demeanour))
    assert repr(strategy_for(bool)) == repr(st.booleans())
    assert repr(strategy_for(date)) == repr(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    assert repr(strategy_for(UUID)) == repr(st.uuids())
    assert repr(strategy_for(Money)) == repr(money())
    # Who may be named, and which number, need choosing: no default.
    assert strategy_for(Actor) is None
    assert strategy_for(int) is None


def test_an_argument_without_a_default_must_be_written() -> None:
    with pytest.raises(TypeError, match=r"assign_agent\(agent: .*Actor.*\) has no default"):
        argument_strategies("assign_agent", {})
    with pytest.raises(TypeError, match="add_note takes no argument value"):
        argument_strategies("add_note", {"value": texts})
