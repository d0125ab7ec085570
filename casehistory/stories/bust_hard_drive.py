"""Story 2, the bust hard drive.

A walk-in customer brings an out-of-warranty laptop (the warranty expired four months
ago) and its receipt. Diagnosis: the drive failed, a known widespread fault. The
warranty is checked: expired. The agent escalates to the VENDOR through a supervisor,
who approves it as a known issue; the laptop is taken in for repair, repaired at no
cost under the vendor's programme and handed back. The case is resolved (fault
VENDOR), and later a supervisor's commendation of the agent is recorded on it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    EntitlementKind,
    EscalationTarget,
    Fault,
    Money,
    Product,
    RepairCoverage,
    Role,
)

__all__ = ["tell"]

CUSTOMER = Customer("CUST-31862", "Harold Jennings")
LAPTOP = Product(
    sku="NB-15-X540",
    name="15-inch X540 laptop",
    purchased_on=date(2025, 2, 8),
    price=Money("1249.00", "USD"),
    serial="X540-5HG2-77310",
    order_id="POS-20250208-0412",
)
AGENT = Actor("keisha.moreland", Role.AGENT)
BENCH = Actor("miguel.santos", Role.AGENT)
SUPERVISOR = Actor("raj.patel", Role.SUPERVISOR)
KNOWN_ISSUE = "VKI-2291 (X540 drive firmware)"
RMA = "260618-0093"


def tell(desk: CaseDesk) -> UUID:
    """Record story 2 on ``desk`` and return the case id."""
    # Thursday 18 June 2026, 14:10: Mr Jennings walks in with his laptop and the receipt.
    case_id = desk.open_case(
        customer=CUSTOMER,
        subject="Laptop will not start: 'No bootable device'",
        channel=Channel.WALK_IN,
        product=LAPTOP,
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 14, 10, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=AGENT, by=AGENT, occurred_at=datetime(2026, 6, 18, 14, 10, tzinfo=UTC)
    )
    desk.log_contact(
        case_id,
        channel=Channel.WALK_IN,
        direction=Direction.INBOUND,
        summary="brought the laptop and receipt; stuck at 'No bootable device' since Monday",
        demeanour=Demeanour.CALM,
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 14, 11, tzinfo=UTC),
    )

    # The receipt proves the purchase: paid in full at the till in February 2025.
    desk.record_payment(
        case_id,
        amount=Money("1249.00", "USD"),
        reference="receipt POS-20250208-0412",
        by=AGENT,
        occurred_at=datetime(2025, 2, 8, 16, 32, tzinfo=UTC),
    )

    # At the counter the drive fails its self-test: a known fault of this drive model.
    desk.record_diagnosis(
        case_id,
        symptom="'No bootable device' at start-up",
        finding="internal drive fails its SMART self-test with over 1,200 reallocated sectors",
        root_cause="firmware fault in the 1 TB drive fitted to the X540",
        fault=Fault.VENDOR,
        known_issue=KNOWN_ISSUE,
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 14, 35, tzinfo=UTC),
    )

    # Warranty: expired on 8 February 2026, four months ago.
    desk.check_entitlement(
        case_id,
        kind=EntitlementKind.WARRANTY,
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 14, 38, tzinfo=UTC),
    )

    # The agent escalates to the vendor; the supervisor, not the agent, approves it.
    desk.request_escalation(
        case_id,
        to=EscalationTarget.VENDOR,
        reason="out of warranty, but the drive fault is the vendor's known issue VKI-2291",
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 14, 41, tzinfo=UTC),
    )
    desk.approve_escalation(
        case_id,
        number=1,
        reason="vendor portal confirms serial X540-5HG2-77310 is covered by VKI-2291",
        by=SUPERVISOR,
        occurred_at=datetime(2026, 6, 18, 15, 2, tzinfo=UTC),
    )

    # The laptop is taken in for repair across the counter.
    desk.issue_rma(
        case_id,
        rma_number=RMA,
        items="X540 laptop, serial X540-5HG2-77310, with its power adapter",
        reason="drive replacement under the vendor's known-issue programme",
        disposition=Disposition.REPAIR,
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 15, 10, tzinfo=UTC),
    )
    desk.receive_return(
        case_id,
        rma_number=RMA,
        condition="handed over at the counter; lid scuffed, no other damage",
        by=AGENT,
        occurred_at=datetime(2026, 6, 18, 15, 12, tzinfo=UTC),
    )

    # Wednesday 24 June: the bench fits the vendor's revised drive; the vendor pays.
    desk.complete_repair(
        case_id,
        rma_number=RMA,
        work_done="fitted the vendor's revised 1 TB drive and reinstalled the operating system",
        covered_by=RepairCoverage.VENDOR,
        cost=Money("0.00", "USD"),
        by=BENCH,
        occurred_at=datetime(2026, 6, 24, 11, 20, tzinfo=UTC),
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="told Mr Jennings the laptop is repaired at no cost and ready to collect",
        demeanour=Demeanour.CALM,
        by=AGENT,
        occurred_at=datetime(2026, 6, 24, 11, 30, tzinfo=UTC),
    )

    # Thursday 25 June: he collects it; the case is resolved as the vendor's fault.
    desk.close_rma(
        case_id,
        rma_number=RMA,
        note="laptop collected by Mr Jennings at the counter",
        by=AGENT,
        occurred_at=datetime(2026, 6, 25, 16, 5, tzinfo=UTC),
    )
    desk.resolve_case(
        case_id,
        resolution="drive replaced under the vendor's known-issue programme at no cost",
        fault=Fault.VENDOR,
        by=AGENT,
        occurred_at=datetime(2026, 6, 25, 16, 7, tzinfo=UTC),
    )

    # The following Monday the supervisor commends the agent on the case.
    desk.record_commendation(
        case_id,
        agent=AGENT,
        source=SUPERVISOR,
        text="spotted the vendor programme and got an out-of-warranty laptop fixed at no cost",
        by=SUPERVISOR,
        occurred_at=datetime(2026, 6, 29, 9, 15, tzinfo=UTC),
    )
    return case_id


if __name__ == "__main__":  # python -m casehistory.stories.bust_hard_drive [STORE]
    import sys

    from casehistory.stories import main

    sys.exit(main("bust-hard-drive", sys.argv[1:]))
