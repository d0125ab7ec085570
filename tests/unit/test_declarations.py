"""The one declaration of each command agrees with everything derived from it: the
domain method, the desk method, the rights and lifecycle tables, the events."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    EscalationTarget,
    FixedClock,
    GoodwillKind,
    Money,
    Role,
)
from casehistory.domain import events as ev
from casehistory.domain.case import Case
from casehistory.domain.commands import fingerprint
from casehistory.domain.declarations import (
    COMMAND_OF,
    COMMANDS,
    CUSTOMER_COMMANDS,
    command_arguments,
)
from casehistory.domain.events import EVENT_TYPES
from casehistory.domain.lifecycle import TRANSITIONS
from casehistory.domain.rights import RIGHTS

_DESK_ONLY = {"case_id", "command_id", "expected_version"}


def test_every_event_is_recorded_by_exactly_one_declared_command() -> None:
    assert set(COMMAND_OF) == set(EVENT_TYPES)
    assert len(COMMAND_OF) == len(COMMANDS) + len(CUSTOMER_COMMANDS)
    assert not set(COMMANDS) & set(CUSTOMER_COMMANDS)


@pytest.mark.parametrize("name", sorted(CUSTOMER_COMMANDS))
def test_a_customer_command_takes_the_customer_and_the_domain_methods_arguments(
    name: str,
) -> None:
    desk = inspect.signature(getattr(CaseDesk, name)).parameters
    wanted = {p.name for p in command_arguments(CUSTOMER_COMMANDS[name])}
    assert list(desk)[:2] == ["self", "customer_id"]
    assert set(desk) - {"self", "customer_id", "by", "occurred_at"} == wanted
    assert all(desk[n].kind is inspect.Parameter.KEYWORD_ONLY for n in wanted)


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


def test_an_event_gives_back_the_arguments_of_its_command_renamed_or_not() -> None:
    when = datetime(2026, 10, 1, tzinfo=UTC)
    agent, boss = Actor("a.lee", Role.AGENT), Actor("s.kim", Role.SUPERVISOR)
    desk = CaseDesk.open(":memory:", clock=FixedClock(datetime(2026, 11, 1, tzinfo=UTC)))
    case_id = desk.open_case(
        customer=Customer("C-1", "Ann"),
        subject="s",
        channel=Channel.EMAIL,
        by=agent,
        occurred_at=when,
    )
    desk.assign_agent(case_id, agent=agent, by=agent, occurred_at=when)
    amount = Money("12.50", "EUR")
    desk.grant_goodwill(
        case_id, kind=GoodwillKind.CREDIT, amount=amount, reason="r", by=agent, occurred_at=when
    )
    desk.record_commendation(case_id, agent=agent, source=boss, text="t", by=boss, occurred_at=when)
    desk.request_escalation(
        case_id, to=EscalationTarget.SUPERVISOR, reason="r", by=agent, occurred_at=when
    )
    desk.deny_escalation(case_id, number=1, reason="no", by=boss, occurred_at=when)

    goodwill, praise, _, denial = desk.history(case_id)[-4:]
    assert goodwill.value == amount  # the stored field keeps its name
    given = COMMANDS["grant_goodwill"].arguments_of(goodwill)
    assert given == {"kind": GoodwillKind.CREDIT, "amount": amount, "reason": given["reason"]}
    assert str(given["reason"]) == "r"  # as recorded: sealed (a replay records it as it is)
    assert praise.agent_id == "a.lee"
    assert COMMANDS["record_commendation"].arguments_of(praise)["agent"] == agent
    denied = COMMANDS["deny_escalation"].arguments_of(denial)
    assert denied["number"] == 1
    assert str(denied["reason"]) == "no"


def test_a_command_id_fingerprints_the_arguments_as_their_events_record_them() -> None:
    # So that a command delivered before a rename and again after it is one command.
    when = datetime(2026, 10, 1, tzinfo=UTC)
    agent, boss = Actor("a.lee", Role.AGENT), Actor("s.kim", Role.SUPERVISOR)
    manager = Actor("m.ortiz", Role.MANAGER)
    desk = CaseDesk.open(":memory:", clock=FixedClock(datetime(2026, 11, 1, tzinfo=UTC)))
    case_id = desk.open_case(
        customer=Customer("C-1", "Ann"),
        subject="s",
        channel=Channel.EMAIL,
        by=agent,
        occurred_at=when,
    )
    desk.assign_agent(case_id, agent=agent, by=agent, occurred_at=when)
    amount = Money("12.50", "EUR")
    common = {"by": agent, "occurred_at": when}
    desk.grant_goodwill(
        case_id, kind=GoodwillKind.CREDIT, amount=amount, reason="r", command_id="gw", **common
    )
    desk.record_commendation(
        case_id, agent=boss, source=manager, text="t", command_id="praise", **common
    )

    goodwill, praise = desk.history(case_id)[-2:]
    common["case_id"] = case_id
    as_in_0_1_0 = {"kind": GoodwillKind.CREDIT, "value": amount, "reason": "r", **common}
    assert goodwill.command_fingerprint == fingerprint("grant_goodwill", as_in_0_1_0)
    recorded = {"agent_id": "s.kim", "source": manager, "text": "t", **common}
    assert praise.command_fingerprint == fingerprint("record_commendation", recorded)
    # A repeat under the new names is the same command: answered, not recorded again.
    version = desk.grant_goodwill(
        kind=GoodwillKind.CREDIT, amount=amount, reason="r", command_id="gw", **common
    )
    assert version == goodwill.originator_version
    assert len(desk.history(case_id)) == 4
