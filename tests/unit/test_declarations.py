"""The one declaration of each command agrees with everything derived from it: the
domain method, the desk method, the rights and lifecycle tables, the events."""

from __future__ import annotations

import inspect

import pytest

from casehistory import CaseDesk
from casehistory.domain import events as ev
from casehistory.domain.case import Case
from casehistory.domain.declarations import COMMAND_OF, COMMANDS, command_arguments
from casehistory.domain.events import EVENT_TYPES
from casehistory.domain.lifecycle import TRANSITIONS
from casehistory.domain.rights import RIGHTS

_DESK_ONLY = {"case_id", "command_id", "expected_version"}


def test_every_event_is_recorded_by_exactly_one_declared_command() -> None:
    assert set(COMMAND_OF) == set(EVENT_TYPES)
    assert len(COMMAND_OF) == len(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_desk_method_takes_the_domain_methods_arguments(name: str) -> None:
    declaration = COMMANDS[name]
    desk = inspect.signature(getattr(CaseDesk, name)).parameters
    wanted = {p.name: p for p in command_arguments(declaration)}
    own = _DESK_ONLY - {"case_id"} if name == "open_case" else _DESK_ONLY  # it imports ids
    given = {n: p for n, p in desk.items() if n not in own | {"self", "by", "occurred_at"}}
    assert set(given) == set(wanted)
    for argument, parameter in wanted.items():
        assert str(given[argument].annotation) == str(parameter.annotation), argument
        assert given[argument].default == parameter.default, argument
        assert given[argument].kind is inspect.Parameter.KEYWORD_ONLY, argument
    assert {"by", "occurred_at", "command_id"} <= set(desk)
    if name != "open_case":
        assert list(desk)[:2] == ["self", "case_id"]
        assert {"expected_version"} <= set(desk)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_its_rights_and_lifecycle_rows(name: str) -> None:
    declaration = COMMANDS[name]
    event = declaration.event.__name__
    assert event in RIGHTS
    assert any(key == event or key.startswith(event) for key in TRANSITIONS)
    assert callable(getattr(Case, declaration.method))
    if declaration.target_argument is not None:
        names = {p.name for p in command_arguments(declaration)}
        assert declaration.target_argument in names
    assert issubclass(declaration.event, ev.CaseEvent)
