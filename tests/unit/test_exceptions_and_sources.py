"""Exceptions to policy by approved escalation, commendation sources, store time order."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from casehistory import (
    Actor,
    Customer,
    EntitlementKind,
    EscalationTarget,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    OvernightCutoffPolicy,
    PolicyExceptionRequired,
    Product,
    RepairCoverage,
    RepairNotCovered,
    Role,
    StoreTimeWentBackwards,
)
from casehistory.errors import NotTheCustomer


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
AGENT, SUPERVISOR, VENDOR, T = _b.AGENT, _b.SUPERVISOR, _b.VENDOR, _b.T
memory_desk, file_desk, open_assigned_case = _b.memory_desk, _b.file_desk, _b.open_assigned_case
pay, refund, escalate, approve, eur = _b.pay, _b.refund, _b.escalate, _b.approve, _b.eur
issue_rma, receive, event_count, last_event = (
    _b.issue_rma,
    _b.receive,
    _b.event_count,
    _b.last_event,
)

LONG_AGO = date(2025, 6, 1)  # outside the return window and the warranty at T


class TestRefundPastTheWindowByApprovedException:
    def test_an_approved_escalation_to_a_supervisor_lets_the_agent_refund(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(LONG_AGO))
        pay(desk, case_id, eur("100.00"))
        escalate(desk, case_id, EscalationTarget.SUPERVISOR)
        approve(desk, case_id, by=SUPERVISOR)

        refund(desk, case_id, eur("100.00"), by=AGENT)

        event = last_event(desk, case_id)
        assert event.policy_exception is True
        assert event.window_check.outcome == "OUTSIDE"

    def test_an_approved_escalation_to_legal_is_no_exception_to_policy(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(LONG_AGO))
        pay(desk, case_id, eur("100.00"))
        escalate(desk, case_id, EscalationTarget.LEGAL)
        approve(desk, case_id, by=_b.MANAGER)
        before = event_count(desk, case_id)

        with pytest.raises(PolicyExceptionRequired, match="no escalation to SUPERVISOR or MANAGER"):
            refund(desk, case_id, eur("100.00"), by=AGENT)

        assert event_count(desk, case_id) == before

    def test_a_refund_inside_the_window_records_the_decision_it_relied_on(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)  # bought days before T
        pay(desk, case_id, eur("100.00"))

        refund(desk, case_id, eur("40.00"), by=AGENT)

        event = last_event(desk, case_id)
        assert (event.policy_exception, event.window_check.outcome) == (False, "INSIDE")


class TestWarrantyCoverByEscalation:
    def _received(self, target: EscalationTarget, approver: Actor) -> tuple[object, object]:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(LONG_AGO))
        escalate(desk, case_id, target)
        approve(desk, case_id, by=approver)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")
        return desk, case_id

    def _repair(self, desk: object, case_id: object) -> None:
        desk.complete_repair(  # type: ignore[attr-defined]
            case_id,
            rma_number="RMA-1",
            work_done="new drive",
            covered_by=RepairCoverage.WARRANTY,
            by=AGENT,
            occurred_at=T,
        )

    def test_an_approved_vendor_escalation_covers_an_expired_warranty(self) -> None:
        desk, case_id = self._received(EscalationTarget.VENDOR, VENDOR)

        self._repair(desk, case_id)

        assert last_event(desk, case_id).warranty_check.outcome == "EXPIRED"

    def test_an_approved_legal_escalation_does_not_cover_an_expired_warranty(self) -> None:
        desk, case_id = self._received(EscalationTarget.LEGAL, _b.MANAGER)

        with pytest.raises(RepairNotCovered, match="warranty was checked EXPIRED"):
            self._repair(desk, case_id)

    def test_a_case_without_a_product_has_no_warranty_to_claim(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, no_product=True)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        with pytest.raises(RepairNotCovered, match="has no product, so no warranty"):
            self._repair(desk, case_id)


class TestCommendationSources:
    @pytest.mark.parametrize("role", [Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER])
    def test_praise_from_a_customer_or_a_supervisor_is_recorded(self, role: Role) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        # Rules 2: a customer's praise is the case's customer's, and the praised agent
        # does not record it (NotTheCustomer, SelfCommendationForbidden).
        desk.record_commendation(
            case_id,
            agent=AGENT,
            source=_b.CUSTOMER if role is Role.CUSTOMER else Actor("someone", role),
            text="patient and clear",
            by=_b.OTHER_AGENT,
            occurred_at=T,
        )

        assert last_event(desk, case_id).source.role is role

    def test_praise_from_another_customer_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(NotTheCustomer, match=r"rule: a customer acts on their own cases"):
            desk.record_commendation(
                case_id,
                agent=AGENT,
                source=Actor("c.someone-else", Role.CUSTOMER),
                text="patient and clear",
                by=_b.OTHER_AGENT,
                occurred_at=T,
            )

        assert event_count(desk, case_id) == before

    @pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.VENDOR, Role.SYSTEM])
    def test_praise_from_anyone_else_is_refused(self, role: Role) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(NotAuthorised, match="rule: commendations come from CUSTOMER"):
            desk.record_commendation(
                case_id,
                agent=AGENT,
                source=Actor("someone", role),
                text="great",
                by=AGENT,
                occurred_at=T,
            )


class TestStoreTimeOrder:
    def test_a_clock_set_back_cannot_record_on_a_case(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        case_id = open_assigned_case(file_desk(store))
        behind = file_desk(store, start=_b.CLOCK_START - timedelta(minutes=1))

        with pytest.raises(StoreTimeWentBackwards, match=r"rule: store time never goes backwards"):
            behind.add_note(case_id, text="late", by=AGENT, occurred_at=T)

    def test_the_same_store_time_twice_is_allowed(self) -> None:
        desk = memory_desk()
        desk.clock = FixedClock(_b.CLOCK_START)
        case_id = open_assigned_case(desk)

        desk.add_note(case_id, text="same second", by=AGENT, occurred_at=T)

        assert event_count(desk, case_id) == 3

    def test_a_fixed_clock_only_advances_forwards(self) -> None:
        clock = FixedClock(_b.CLOCK_START)

        with pytest.raises(InvalidInput, match="advance moves forwards"):
            clock.advance(timedelta(seconds=-1))


class TestDecisionsTakenOnTheSpot:
    def test_a_refund_s_window_decision_becomes_the_case_s_recorded_decision(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))

        refund(desk, case_id, eur("40.00"), by=AGENT)

        assert (
            desk.case(case_id).decisions[EntitlementKind.RETURN_WINDOW]
            == last_event(desk, case_id).window_check
        )

    def test_a_credit_s_limit_check_is_recorded_on_the_case(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        desk.issue_credit(case_id, amount=eur("20.00"), reason="sorry", by=AGENT, occurred_at=T)

        assert (
            desk.case(case_id).decisions[EntitlementKind.GOODWILL_LIMIT].outcome == "WITHIN_LIMIT"
        )


class TestOpeningWithAnExistingId:
    def test_an_auditor_hears_the_rights_rule_before_the_id_is_looked_up(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(NotAuthorised, match="auditors read everything"):
            _b.open_case(desk, case_id=case_id, by=_b.AUDITOR)


@pytest.mark.parametrize("timeout", ["abc", "2.5", "0", "-1"])
def test_a_postgres_connect_timeout_must_be_whole_seconds(timeout: str) -> None:
    from casehistory.store import store_env

    with pytest.raises(InvalidInput, match="connect_timeout must be a whole number"):
        store_env(f"postgresql://postgres@127.0.0.1/test?connect_timeout={timeout}")


class TestDecisionsAreDated:
    def test_an_inside_window_from_an_earlier_day_does_not_authorise_a_later_refund(
        self,
    ) -> None:
        desk = memory_desk()
        bought = T.date() - timedelta(days=10)
        case_id = open_assigned_case(desk, with_product=_b.product(bought))
        pay(desk, case_id, eur("100.00"))
        refund(desk, case_id, eur("10.00"), by=AGENT)  # inside the window, on day T
        later = T + timedelta(days=25)  # 35 days after purchase

        with pytest.raises(PolicyExceptionRequired, match="past the return window"):
            desk.issue_refund(
                case_id, amount=eur("50.00"), reason="more", by=AGENT, occurred_at=later
            )

    def test_a_decision_recorded_for_the_same_day_is_relied_on(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        _b.check(desk, case_id, _b.EntitlementKind.RETURN_WINDOW)
        checked = desk.case(case_id).decisions[EntitlementKind.RETURN_WINDOW]

        refund(desk, case_id, eur("40.00"), by=AGENT)

        assert last_event(desk, case_id).window_check == checked


class TestEveryBadArgumentIsInvalidInput:
    @pytest.mark.parametrize(
        "build",
        [
            lambda: Customer("c1", "Dana", email={"not": "text"}),
            lambda: Customer("c1", "Dana", email="half an emoji \ud83d"),
            lambda: Product("S", "N", date(2026, 1, 1), eur("1.00"), serial=42),
            lambda: OvernightCutoffPolicy(last_shipment="17:00"),
            lambda: OvernightCutoffPolicy(timezone="Europe/Berlin"),
        ],
        ids=["email-set", "email-surrogate", "serial-int", "cutoff-text", "timezone-text"],
    )
    def test_malformed_values_are_refused_when_built(self, build: object) -> None:
        with pytest.raises(InvalidInput):
            build()  # type: ignore[operator]

    def test_an_rma_number_that_is_not_text_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match="rma_number must be a non-empty string"):
            receive(desk, case_id, ["RMA-1"])  # type: ignore[arg-type]

    def test_a_case_id_that_is_not_a_uuid_is_refused_when_opening(self) -> None:
        desk = memory_desk()

        with pytest.raises(InvalidInput, match="case_id must be a UUID"):
            _b.open_case(desk, case_id="abc")  # type: ignore[arg-type]
