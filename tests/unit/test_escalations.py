"""Escalations: one at a time, each decided once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from casehistory import (
    EscalationAlreadyPending,
    EscalationNotPending,
    EscalationOutcome,
    EscalationTarget,
    InvalidInput,
    Status,
)


def _load_builders() -> ModuleType:
    name = "casehistory_unit_builders"
    if name not in sys.modules:
        path = Path(__file__).with_name("_builders.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_b = _load_builders()
AGENT, MANAGER, SUPERVISOR = _b.AGENT, _b.MANAGER, _b.SUPERVISOR
memory_desk, open_assigned_case, event_count = _b.memory_desk, _b.open_assigned_case, _b.event_count
escalate, approve, deny = _b.escalate, _b.approve, _b.deny


class TestRequestEscalation:
    def test_an_escalation_puts_the_case_in_escalated_status(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        escalate(desk, case_id, EscalationTarget.VENDOR)

        view = desk.case(case_id)
        assert view.status is Status.ESCALATED
        assert (view.escalations[0].number, view.escalations[0].to) == (1, EscalationTarget.VENDOR)
        assert view.escalations[0].outcome is EscalationOutcome.PENDING

    def test_cannot_request_a_second_escalation_while_one_is_pending(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id, EscalationTarget.SUPERVISOR)
        before = event_count(desk, case_id)

        with pytest.raises(
            EscalationAlreadyPending,
            match=r"escalation #1 to SUPERVISOR .* still awaits a decision \(rule: one "
            r"escalation at a time\); approve or deny it first",
        ):
            escalate(desk, case_id, EscalationTarget.MANAGER)

        assert event_count(desk, case_id) == before

    def test_a_new_escalation_may_follow_a_decided_one(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)
        deny(desk, case_id)

        escalate(desk, case_id, EscalationTarget.MANAGER)

        escalations = desk.case(case_id).escalations
        assert [(e.number, e.outcome) for e in escalations] == [
            (1, EscalationOutcome.DENIED),
            (2, EscalationOutcome.PENDING),
        ]


class TestDecideEscalation:
    def test_an_approval_records_who_decided_and_reopens_the_work(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)

        approve(desk, case_id, by=SUPERVISOR)

        view = desk.case(case_id)
        assert view.status is Status.OPEN
        assert view.escalations[0].outcome is EscalationOutcome.APPROVED
        assert view.escalations[0].decided_by == SUPERVISOR

    def test_cannot_approve_one_escalation_twice(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)
        approve(desk, case_id, by=SUPERVISOR)
        before = event_count(desk, case_id)

        with pytest.raises(
            EscalationNotPending,
            match=rf"escalation #1 on case {case_id} was already APPROVED by SUPERVISOR "
            r"s\.kim \(rule: an escalation is decided once, named by its number\); none "
            r"awaits a decision",
        ):
            approve(desk, case_id, by=MANAGER)

        assert event_count(desk, case_id) == before

    def test_cannot_deny_an_escalation_after_approving_it(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)
        approve(desk, case_id, by=SUPERVISOR)

        with pytest.raises(EscalationNotPending, match=r"rule: an escalation is decided once"):
            deny(desk, case_id, by=MANAGER)

        assert desk.case(case_id).escalations[0].outcome is EscalationOutcome.APPROVED

    def test_cannot_approve_after_denying(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)
        deny(desk, case_id, by=SUPERVISOR)

        with pytest.raises(EscalationNotPending, match=r"already DENIED by SUPERVISOR s\.kim"):
            approve(desk, case_id, by=MANAGER)

        assert desk.case(case_id).escalations[0].outcome is EscalationOutcome.DENIED

    def test_cannot_decide_when_no_escalation_was_ever_requested(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(
            EscalationNotPending,
            match=rf"no escalation was ever requested on case {case_id} \(rule: an "
            r"escalation is decided once",
        ):
            approve(desk, case_id, by=SUPERVISOR)

        assert desk.case(case_id).escalations == ()

    @pytest.mark.parametrize("verb", ["approve_escalation", "deny_escalation"])
    def test_a_decision_names_the_pending_escalation(self, verb: str) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)
        deny(desk, case_id, by=SUPERVISOR)
        escalate(desk, case_id, to=EscalationTarget.MANAGER)
        before = event_count(desk, case_id)
        decide = getattr(desk, verb)

        for number, why in (
            (1, r"escalation #1 on case .* was already DENIED by SUPERVISOR s\.kim"),
            (3, rf"case {case_id} has no escalation #3"),
        ):
            with pytest.raises(
                EscalationNotPending,
                match=why + r" \(rule: an escalation is decided once, named by its number\); "
                r"decide #2 to MANAGER, the one awaiting a decision",
            ):
                decide(case_id, number=number, reason="r", by=MANAGER, occurred_at=_b.T)

        assert event_count(desk, case_id) == before
        decide(case_id, number=2, reason="r", by=MANAGER, occurred_at=_b.T)
        assert desk.history(case_id)[-1].number == 2

    @pytest.mark.parametrize("number", [True, "1", 1.0, None])
    def test_the_number_is_a_whole_number(self, number: object) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id)

        with pytest.raises(InvalidInput, match="number is an escalation's number"):
            desk.approve_escalation(
                case_id,
                number=number,  # type: ignore[arg-type]
                reason="r",
                by=MANAGER,
                occurred_at=_b.T,
            )

    def test_the_requester_is_recorded_on_the_escalation(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        escalate(desk, case_id, by=AGENT)

        assert desk.case(case_id).escalations[0].requested_by == AGENT
