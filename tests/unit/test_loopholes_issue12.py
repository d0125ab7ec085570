"""Issue 12's loopholes, each an attack through the public API on a SQLite desk.

Every test here passed the attack on 5a403f2 (so it failed there) and is refused now,
naming the rule, under rules 2 (casehistory.domain.rulebook).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Direction,
    Disposition,
    EscalationTarget,
    Fault,
    FixedClock,
    GoodwillKind,
    InspectionOutcome,
    Money,
    Payer,
    Product,
    RepairCoverage,
    Role,
    ServiceLevel,
)
from casehistory.errors import (
    CaseGoodwillAboveLimit,
    CreditAboveLimit,
    GoodwillAboveLimit,
    NotTheCustomer,
    OccurredTooEarly,
    OvernightNotGranted,
    RepairNotCovered,
    ReturnNotReceived,
    RmaAlreadyInspected,
    RmaMustBeRejected,
    SelfCommendationForbidden,
)

AGENT = Actor("a.lee", Role.AGENT)
SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)
MANAGER = Actor("m.ode", Role.MANAGER)
VENDOR = Actor("v.acme", Role.VENDOR)
OPENED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LAPTOP = Product("AUR-14", "Aurora 14", date(2026, 8, 20), Money("900.00", "USD"))


@pytest.fixture
def desk(tmp_path: Path) -> CaseDesk:
    return CaseDesk.open(
        tmp_path / "cases.sqlite", clock=FixedClock(datetime(2026, 11, 1, tzinfo=UTC))
    )


def _case(desk: CaseDesk, product: Product | None = LAPTOP) -> UUID:
    case_id = desk.open_case(
        customer=Customer("C-1", "Omar Haddad"),
        subject="laptop",
        channel=Channel.PHONE,
        product=product,
        by=AGENT,
        occurred_at=OPENED,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=OPENED)
    return case_id


def _issued(desk: CaseDesk, case_id: UUID, number: str = "RMA-1") -> None:
    desk.issue_rma(
        case_id,
        rma_number=number,
        items="laptop",
        reason="fault",
        disposition=Disposition.REPAIR,
        by=AGENT,
        occurred_at=OPENED,
    )


def _received(desk: CaseDesk, case_id: UUID, number: str = "RMA-1") -> None:
    _issued(desk, case_id, number)
    desk.receive_return(case_id, rma_number=number, by=AGENT, occurred_at=OPENED)


def test_a_refund_back_dated_before_the_opening_is_refused(desk: CaseDesk) -> None:
    case_id = _case(desk)
    desk.record_payment(
        case_id, amount=Money("900.00", "USD"), reference="O-1", by=AGENT, occurred_at=OPENED
    )
    with pytest.raises(OccurredTooEarly, match="before the case opened"):
        desk.issue_refund(
            case_id,
            amount=Money("900.00", "USD"),
            reason="inside the window by its date",
            by=AGENT,
            occurred_at=datetime(2026, 8, 25, 9, 0, tzinfo=UTC),
        )


def test_a_contact_before_the_opening_records_its_time_decision(desk: CaseDesk) -> None:
    case_id = _case(desk)
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        summary="first email",
        by=AGENT,
        occurred_at=OPENED - timedelta(days=2),
    )
    assert desk.history(case_id)[-1].time_check.outcome == "IN_BOUNDS"
    with pytest.raises(OccurredTooEarly, match="TOO_EARLY"):
        desk.log_contact(
            case_id,
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            summary="an email from last year",
            by=AGENT,
            occurred_at=OPENED - timedelta(days=300),
        )


def test_goodwill_cover_of_a_repair_is_goodwill(desk: CaseDesk) -> None:
    case_id = _case(desk)
    _received(desk, case_id)
    with pytest.raises(GoodwillAboveLimit):
        desk.complete_repair(
            case_id,
            rma_number="RMA-1",
            work_done="new board",
            covered_by=RepairCoverage.GOODWILL,
            cost=Money("900.00", "USD"),
            by=AGENT,
            occurred_at=OPENED,
        )
    with pytest.raises(RepairNotCovered, match="needs its cost"):
        desk.complete_repair(
            case_id,
            rma_number="RMA-1",
            work_done="new board",
            covered_by=RepairCoverage.GOODWILL,
            by=AGENT,
            occurred_at=OPENED,
        )


def test_vendor_cover_needs_the_vendors_approval_not_a_typed_known_issue(desk: CaseDesk) -> None:
    case_id = _case(desk)
    desk.record_diagnosis(
        case_id,
        symptom="dead",
        finding="board",
        root_cause="whatever",
        fault=Fault.VENDOR,
        known_issue="I say so",
        by=AGENT,
        occurred_at=OPENED,
    )
    _received(desk, case_id)
    with pytest.raises(RepairNotCovered, match="escalation to VENDOR"):
        desk.complete_repair(
            case_id,
            rma_number="RMA-1",
            work_done="new board",
            covered_by=RepairCoverage.VENDOR,
            by=AGENT,
            occurred_at=OPENED,
        )


def test_goodwill_cannot_be_split_past_the_case_limit(desk: CaseDesk) -> None:
    case_id = _case(desk)
    grant = dict(
        kind=GoodwillKind.CREDIT, amount=Money("49.99", "USD"), reason="sorry", occurred_at=OPENED
    )
    desk.grant_goodwill(case_id, by=AGENT, **grant)  # type: ignore[arg-type]
    desk.grant_goodwill(case_id, by=AGENT, **grant)  # type: ignore[arg-type]
    with pytest.raises(CaseGoodwillAboveLimit, match=r"per-case limit of 100\.00 USD"):
        desk.grant_goodwill(case_id, by=AGENT, **grant)  # type: ignore[arg-type]
    desk.grant_goodwill(case_id, by=SUPERVISOR, **grant)  # type: ignore[arg-type]
    assert desk.history(case_id)[-1].case_limit_check.outcome == "ABOVE_LIMIT"


def test_a_credit_above_the_role_limit_needs_a_manager(desk: CaseDesk) -> None:
    case_id = _case(desk, product=None)
    million = Money("1000000.00", "USD")
    with pytest.raises(CreditAboveLimit, match=r"SUPERVISOR limit of 1,000\.00 USD"):
        desk.issue_credit(
            case_id, amount=million, reason="why not", by=SUPERVISOR, occurred_at=OPENED
        )
    desk.request_escalation(
        case_id, to=EscalationTarget.MANAGER, reason="big credit", by=SUPERVISOR, occurred_at=OPENED
    )
    desk.approve_escalation(case_id, number=1, reason="ok", by=MANAGER, occurred_at=OPENED)
    desk.issue_credit(case_id, amount=million, reason="approved", by=SUPERVISOR, occurred_at=OPENED)
    assert desk.history(case_id)[-1].credit_check.outcome == "ABOVE_LIMIT"


def _replacement(desk: CaseDesk, case_id: UUID, when: datetime) -> None:
    desk.ship_replacement(
        case_id,
        rma_number="RMA-1",
        service_level=ServiceLevel.OVERNIGHT,
        tracking="1Z",
        paid_by=Payer.COMPANY,
        by=AGENT,
        occurred_at=when,
    )


def test_overnight_at_the_company_cost_needs_a_grant_for_its_day(desk: CaseDesk) -> None:
    case_id = _case(desk)
    _received(desk, case_id)
    with pytest.raises(OvernightNotGranted, match="no overnight upgrade was granted"):
        _replacement(desk, case_id, OPENED)
    late = datetime(2026, 10, 1, 16, 45, tzinfo=UTC)  # after the 16:30 cut-off
    desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.FREE_SHIPPING_UPGRADE,
        amount=Money("25.00", "USD"),
        reason="overnight",
        by=AGENT,
        occurred_at=late,
    )
    with pytest.raises(OvernightNotGranted, match="NEXT_DAY"):
        _replacement(desk, case_id, late)
    _replacement(desk, case_id, late + timedelta(days=1))


def test_one_overnight_grant_pays_for_one_overnight_shipment(desk: CaseDesk) -> None:
    case_id = _case(desk)
    _received(desk, case_id)
    morning = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)  # before the cut-off: SAME_DAY

    def upgrade() -> None:
        desk.grant_goodwill(
            case_id,
            kind=GoodwillKind.FREE_SHIPPING_UPGRADE,
            amount=Money("25.00", "USD"),
            reason="overnight",
            by=AGENT,
            occurred_at=morning,
        )

    upgrade()
    _replacement(desk, case_id, morning)
    before = len(desk.history(case_id))
    with pytest.raises(OvernightNotGranted, match="each grant ships once: all were used"):
        _replacement(desk, case_id, morning)  # a second replacement, on one grant
    assert len(desk.history(case_id)) == before
    upgrade()
    _replacement(desk, case_id, morning)


def test_a_customer_speaks_only_on_their_own_case(desk: CaseDesk) -> None:
    case_id = _case(desk)
    with pytest.raises(NotTheCustomer):
        desk.log_contact(
            case_id,
            channel=Channel.CHAT,
            direction=Direction.INBOUND,
            summary="hello",
            by=Actor("C-999", Role.CUSTOMER),
            occurred_at=OPENED,
        )
    desk.log_contact(
        case_id,
        channel=Channel.CHAT,
        direction=Direction.INBOUND,
        summary="hello",
        by=Actor("C-1", Role.CUSTOMER),
        occurred_at=OPENED,
    )


def test_an_agent_cannot_record_their_own_commendation(desk: CaseDesk) -> None:
    case_id = _case(desk)
    with pytest.raises(SelfCommendationForbidden):
        desk.record_commendation(
            case_id,
            agent=AGENT,
            source=SUPERVISOR,
            text="great work",
            by=AGENT,
            occurred_at=OPENED,
        )


def test_a_return_is_inspected_once_and_not_as_described_is_rejected(desk: CaseDesk) -> None:
    case_id = _case(desk)
    _received(desk, case_id)
    desk.complete_inspection(
        case_id,
        rma_number="RMA-1",
        outcome=InspectionOutcome.NOT_AS_DESCRIBED,
        findings="rocks",
        by=AGENT,
        occurred_at=OPENED,
    )
    with pytest.raises(RmaAlreadyInspected):
        desk.complete_inspection(
            case_id,
            rma_number="RMA-1",
            outcome=InspectionOutcome.AS_DESCRIBED,
            findings="fine after all",
            by=AGENT,
            occurred_at=OPENED,
        )
    with pytest.raises(RmaMustBeRejected):
        desk.close_rma(case_id, rma_number="RMA-1", by=AGENT, occurred_at=OPENED)


def test_an_rma_whose_goods_never_arrived_is_not_closed(desk: CaseDesk) -> None:
    case_id = _case(desk)
    _issued(desk, case_id)
    with pytest.raises(ReturnNotReceived):
        desk.close_rma(case_id, rma_number="RMA-1", by=AGENT, occurred_at=OPENED)


def test_a_fault_of_ours_found_after_the_rma_makes_the_company_pay_return(desk: CaseDesk) -> None:
    case_id = _case(desk)
    _issued(desk, case_id)
    assert desk.case(case_id).rmas[0].return_shipping_paid_by is Payer.CUSTOMER
    desk.record_diagnosis(
        case_id,
        symptom="dead",
        finding="our firmware",
        root_cause="bad update",
        fault=Fault.OURS,
        by=AGENT,
        occurred_at=OPENED,
    )
    assert desk.case(case_id).rmas[0].return_shipping_paid_by is Payer.COMPANY
    assert desk.history(case_id)[-1].shipping_decision.outcome == "COMPANY_PAYS"


def test_the_rules_replay_finds_nothing_on_these_histories(desk: CaseDesk) -> None:
    from casehistory.audit.rules import verify_rules

    test_goodwill_cannot_be_split_past_the_case_limit(desk)
    test_a_fault_of_ours_found_after_the_rma_makes_the_company_pay_return(desk)
    case_id = _case(desk)
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        summary="first email",
        by=AGENT,
        occurred_at=OPENED - timedelta(days=2),
    )
    assert verify_rules(desk).findings == ()
