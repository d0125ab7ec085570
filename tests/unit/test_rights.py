"""Who may record what: the rights table, approvers, limits and policy exceptions."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    EntitlementKind,
    EscalationTarget,
    GoodwillAboveLimit,
    GoodwillKind,
    GoodwillLimitPolicy,
    Money,
    NotAuthorised,
    Policies,
    PolicyExceptionRequired,
    Role,
    SelfApprovalForbidden,
    Status,
)
from casehistory.domain.rights import APPROVERS, RIGHTS


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
AGENT, SUPERVISOR, MANAGER, AUDITOR, CUSTOMER, VENDOR, SYSTEM = (
    _b.AGENT,
    _b.SUPERVISOR,
    _b.MANAGER,
    _b.AUDITOR,
    _b.CUSTOMER,
    _b.VENDOR,
    _b.SYSTEM,
)
T, COMMANDS, WRITE_KEYS = _b.T, _b.COMMANDS, _b.WRITE_KEYS
memory_desk, open_case, open_assigned_case, drive_to = (
    _b.memory_desk,
    _b.open_case,
    _b.open_assigned_case,
    _b.drive_to,
)
event_count, last_event, eur, pay, refund, check = (
    _b.event_count,
    _b.last_event,
    _b.eur,
    _b.pay,
    _b.refund,
    _b.check,
)
actor, event_name, home_status, escalate, approve, deny = (
    _b.actor,
    _b.event_name,
    _b.home_status,
    _b.escalate,
    _b.approve,
    _b.deny,
)

Decide = Callable[..., None]

_DECISION_KEYS = ("EscalationApproved", "EscalationDenied")  # see TestDecideEscalation
_ORDINARY_ROLES = [r for r in Role if r not in (Role.AUDITOR, Role.CUSTOMER)]

REFUSED_BY_TABLE = [
    (key, role)
    for key in WRITE_KEYS
    for role in _ORDINARY_ROLES
    if role not in RIGHTS[event_name(key)]
]
ALLOWED_BY_TABLE = [
    (key, role)
    for key in WRITE_KEYS
    if key not in _DECISION_KEYS
    for role in _ORDINARY_ROLES
    if role in RIGHTS[event_name(key)]
]
_DECIDERS = [r for r in Role if r in RIGHTS["EscalationApproved"]]
DECISION_CELLS = [(target, role) for target in EscalationTarget for role in _DECIDERS]


def _ids(cells: list[tuple[str, Role]]) -> list[str]:
    return [f"{key} by {role.name}" for key, role in cells]


def _grant(desk: CaseDesk, case_id: UUID, value: Money, *, by: Actor) -> None:
    desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.FREE_SOFTWARE,
        amount=value,
        reason="sorry for the trouble",
        by=by,
        occurred_at=T,
    )


def _credit(desk: CaseDesk, case_id: UUID, amount: Money, *, by: Actor) -> None:
    desk.issue_credit(case_id, amount=amount, reason="apology", by=by, occurred_at=T)


class TestAuditorsWriteNothing:
    @pytest.mark.parametrize("key", WRITE_KEYS)
    def test_an_auditor_cannot_record_anything(self, key: str) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, home_status(key))
        before = event_count(desk, case_id)

        with pytest.raises(
            NotAuthorised, match=r"rule: auditors read everything and write nothing"
        ):
            COMMANDS[key](desk, case_id, AUDITOR)

        assert event_count(desk, case_id) == before

    def test_an_auditor_cannot_open_a_case(self) -> None:
        desk = memory_desk()

        with pytest.raises(
            NotAuthorised, match=r"rule: auditors read everything and write nothing"
        ):
            open_case(desk, by=AUDITOR)

        assert list(desk.case_ids()) == []


class TestCustomersOnlySourceInboundContacts:
    @pytest.mark.parametrize("key", [k for k in WRITE_KEYS if k != "ContactLogged (inbound)"])
    def test_a_customer_cannot_record_anything_but_an_inbound_contact(self, key: str) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, home_status(key))
        before = event_count(desk, case_id)

        with pytest.raises(NotAuthorised, match=r"rule: a customer can only be the source of a"):
            COMMANDS[key](desk, case_id, CUSTOMER)

        assert event_count(desk, case_id) == before

    def test_a_customer_may_be_the_source_of_an_inbound_contact(self) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, Status.OPEN)

        COMMANDS["ContactLogged (inbound)"](desk, case_id, CUSTOMER)

        assert last_event(desk, case_id).by == CUSTOMER

    def test_a_customer_cannot_open_a_case(self) -> None:
        desk = memory_desk()

        with pytest.raises(NotAuthorised, match=r"rule: a customer can only be the source of a"):
            open_case(desk, by=CUSTOMER)

        assert list(desk.case_ids()) == []


class TestTheRightsTable:
    @pytest.mark.parametrize(("key", "role"), REFUSED_BY_TABLE, ids=_ids(REFUSED_BY_TABLE))
    def test_a_role_not_in_the_rights_table_is_refused(self, key: str, role: Role) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, home_status(key))
        before = event_count(desk, case_id)
        rule = rf"rule: rights table: {event_name(key)} needs one of "

        with pytest.raises(NotAuthorised, match=rule):
            COMMANDS[key](desk, case_id, actor(role))

        assert event_count(desk, case_id) == before

    @pytest.mark.parametrize(("key", "role"), ALLOWED_BY_TABLE, ids=_ids(ALLOWED_BY_TABLE))
    def test_a_role_in_the_rights_table_may_record_the_event(self, key: str, role: Role) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, home_status(key))

        COMMANDS[key](desk, case_id, actor(role))

        assert last_event(desk, case_id).by.role is role
        assert type(last_event(desk, case_id)).__name__ == event_name(key)

    @pytest.mark.parametrize("role", _ORDINARY_ROLES)
    def test_only_the_roles_in_the_rights_table_open_cases(self, role: Role) -> None:
        desk = memory_desk()

        if role in RIGHTS["CaseOpened"]:
            case_id = open_case(desk, by=actor(role))

            assert last_event(desk, case_id).by.role is role
        else:
            with pytest.raises(NotAuthorised, match=r"rule: rights table: CaseOpened needs one"):
                open_case(desk, by=actor(role))

            assert list(desk.case_ids()) == []

    def test_auditors_are_in_no_row_and_customers_only_in_the_contact_row(self) -> None:
        rows = RIGHTS

        auditor_rows = [name for name, roles in rows.items() if Role.AUDITOR in roles]
        customer_rows = [name for name, roles in rows.items() if Role.CUSTOMER in roles]

        assert auditor_rows == []
        assert customer_rows == ["ContactLogged"]


class TestAssignAgent:
    @pytest.mark.parametrize("role", [Role.VENDOR, Role.SYSTEM, Role.CUSTOMER, Role.AUDITOR])
    def test_only_a_person_on_staff_can_own_a_case(self, role: Role) -> None:
        desk = memory_desk()
        case_id = open_case(desk)

        with pytest.raises(NotAuthorised, match=r"rule: only an AGENT, SUPERVISOR or MANAGER"):
            desk.assign_agent(case_id, agent=actor(role), by=AGENT, occurred_at=T)

        assert desk.case(case_id).agent is None


class TestDecideEscalation:
    @pytest.mark.parametrize("decide", [approve, deny], ids=["approve", "deny"])
    def test_no_one_decides_their_own_escalation(self, decide: Decide) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id, by=SUPERVISOR)

        with pytest.raises(
            SelfApprovalForbidden, match=r"rule: no one decides their own escalation"
        ):
            decide(desk, case_id, by=SUPERVISOR)

        assert desk.case(case_id).status is Status.ESCALATED

    def test_the_requester_cannot_decide_in_another_role_either(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id, by=AGENT)
        same_person_as_supervisor = Actor(AGENT.id, Role.SUPERVISOR)

        with pytest.raises(
            SelfApprovalForbidden, match=r"rule: no one decides their own escalation"
        ):
            approve(desk, case_id, by=same_person_as_supervisor)

        assert desk.case(case_id).status is Status.ESCALATED

    def test_another_supervisor_decides_the_escalation(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id, by=MANAGER)

        approve(desk, case_id, by=SUPERVISOR)

        assert desk.case(case_id).escalations[-1].decided_by == SUPERVISOR

    @pytest.mark.parametrize("decide", [approve, deny], ids=["approve", "deny"])
    @pytest.mark.parametrize(
        ("target", "role"), DECISION_CELLS, ids=[f"{t.name} by {r.name}" for t, r in DECISION_CELLS]
    )
    def test_each_target_is_decided_only_by_its_approvers(
        self, target: EscalationTarget, role: Role, decide: Decide
    ) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id, target, by=AGENT)

        if role in APPROVERS[target]:
            decide(desk, case_id, by=actor(role))

            assert desk.case(case_id).status is Status.OPEN
            assert desk.case(case_id).escalations[-1].decided_by == actor(role)
        else:
            rule = rf"rule: escalations to {target.name} are decided by "
            with pytest.raises(NotAuthorised, match=rule):
                decide(desk, case_id, by=actor(role))

            assert desk.case(case_id).status is Status.ESCALATED

    def test_the_approvers_follow_the_domain(self) -> None:
        approvers = APPROVERS

        as_names = {t.name: sorted(r.name for r in roles) for t, roles in approvers.items()}

        assert as_names == {
            "SUPERVISOR": ["MANAGER", "SUPERVISOR"],
            "MANAGER": ["MANAGER"],
            "LEGAL": ["MANAGER"],
            "VENDOR": ["MANAGER", "SUPERVISOR", "VENDOR"],
        }


class TestGrantGoodwill:
    def test_an_agent_may_grant_goodwill_up_to_the_limit(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        _grant(desk, case_id, eur("50.00"), by=AGENT)

        assert last_event(desk, case_id).limit_check.outcome == "WITHIN_LIMIT"
        assert desk.case(case_id).ledger.balance("EUR").goodwill == eur("50.00")

    def test_an_agent_cannot_grant_goodwill_above_the_limit(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(
            GoodwillAboveLimit,
            match=r"goodwill of 50\.01 EUR .* above the agent limit of 50\.00 EUR \(rule: "
            r"goodwill above the agent limit needs SUPERVISOR or above",
        ):
            _grant(desk, case_id, eur("50.01"), by=AGENT)

        assert event_count(desk, case_id) == before

    @pytest.mark.parametrize("by", [SUPERVISOR, MANAGER], ids=["SUPERVISOR", "MANAGER"])
    def test_a_supervisor_or_above_may_grant_goodwill_above_the_limit(self, by: Actor) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        _grant(desk, case_id, eur("50.01"), by=by)

        assert last_event(desk, case_id).limit_check.outcome == "ABOVE_LIMIT"
        assert last_event(desk, case_id).by == by

    def test_the_limit_is_the_desk_policy(self) -> None:
        policies = Policies(goodwill_limit=GoodwillLimitPolicy(limit="20.00", version=2))
        desk = memory_desk(policies)
        case_id = open_assigned_case(desk)

        with pytest.raises(GoodwillAboveLimit, match=r"above the agent limit of 20\.00 EUR"):
            _grant(desk, case_id, eur("20.01"), by=AGENT)

        _grant(desk, case_id, eur("20.00"), by=AGENT)
        assert last_event(desk, case_id).limit_check.version == 2


class TestIssueCredit:
    def test_an_agent_may_credit_up_to_the_limit(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        _credit(desk, case_id, eur("50.00"), by=AGENT)

        assert desk.case(case_id).ledger.balance("EUR").credited == eur("50.00")

    def test_an_agent_cannot_credit_above_the_limit(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(
            GoodwillAboveLimit,
            match=r"credit of 50\.01 EUR .* \(rule: goodwill above the agent limit needs SUPER",
        ):
            _credit(desk, case_id, eur("50.01"), by=AGENT)

        assert event_count(desk, case_id) == before

    def test_a_supervisor_may_credit_above_the_limit(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        _credit(desk, case_id, eur("600.00"), by=SUPERVISOR)  # within rules 2's 1,000.00

        assert last_event(desk, case_id).limit_check.outcome == "ABOVE_LIMIT"
        assert desk.case(case_id).ledger.balance("EUR").credited == eur("600.00")


def _case_past_the_window(desk: CaseDesk) -> UUID:
    """A case about a PSU bought 41 days before T, paid 129.00 EUR, window checked OUTSIDE."""
    case_id = open_assigned_case(desk, with_product=_b.product(date(2026, 8, 21)))
    pay(desk, case_id, eur("129.00"))
    check(desk, case_id, EntitlementKind.RETURN_WINDOW)
    return case_id


class TestRefundPastTheReturnWindow:
    def test_an_agent_cannot_refund_after_an_outside_window_decision(self) -> None:
        desk = memory_desk()
        case_id = _case_past_the_window(desk)
        before = event_count(desk, case_id)

        with pytest.raises(
            PolicyExceptionRequired,
            match=r"past the return window .* \(rule: refunds past the window need an "
            r"exception approved by SUPERVISOR or above",
        ):
            refund(desk, case_id, eur("129.00"), by=AGENT)

        assert event_count(desk, case_id) == before

    @pytest.mark.parametrize("by", [SUPERVISOR, MANAGER], ids=["SUPERVISOR", "MANAGER"])
    def test_a_supervisor_may_refund_as_a_recorded_policy_exception(self, by: Actor) -> None:
        desk = memory_desk()
        case_id = _case_past_the_window(desk)

        refund(desk, case_id, eur("129.00"), by=by)

        assert last_event(desk, case_id).policy_exception is True
        assert desk.case(case_id).ledger.balance("EUR").refunded == eur("129.00")

    def test_a_refund_inside_the_window_is_no_exception(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        check(desk, case_id, EntitlementKind.RETURN_WINDOW)

        refund(desk, case_id, eur("100.00"), by=AGENT)

        assert last_event(desk, case_id).policy_exception is False

    def test_the_denial_cites_the_recorded_window_decision(self) -> None:
        desk = memory_desk()
        case_id = _case_past_the_window(desk)
        desk.request_refund(case_id, amount=eur("129.00"), reason="failed", by=AGENT, occurred_at=T)

        desk.deny_refund(case_id, reason="outside the window", by=AGENT, occurred_at=T)

        decision = last_event(desk, case_id).decision
        assert (decision.policy_id, decision.version, decision.outcome) == (
            "return-window",
            1,
            "OUTSIDE",
        )

    def test_an_agent_cannot_refund_past_the_window_by_skipping_the_check(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(date(2025, 8, 27)))
        pay(desk, case_id, eur("100.00"))

        with pytest.raises(PolicyExceptionRequired, match=re.escape("rule: refunds past the")):
            refund(desk, case_id, eur("100.00"), by=AGENT)
