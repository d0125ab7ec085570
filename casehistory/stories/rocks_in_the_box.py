"""Story 5, rocks in the box.

A parent's custom-built PC for her son keeps coming back "broken again". Diagnosis:
malware from unsafe browsing (fault CUSTOMER); it is removed and a free antivirus
licence is given as goodwill. When it breaks again she threatens a lemon-law claim,
and an RMA is issued for a full inspection. The box arrives full of rocks: the
inspection finds it NOT_AS_DESCRIBED, the RMA is rejected, no refund is given, and
the case is closed with fault CUSTOMER. The audit trail proves each step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    Money,
    Product,
    Role,
)

__all__ = ["tell"]

PARENT = Customer("CUST-52210", "Denise Hollis")
GAMING_PC = Product(
    sku="CB-GX-CUSTOM",
    name="custom-built gaming PC",
    purchased_on=date(2026, 1, 9),
    price=Money("2349.00", "USD"),
    serial="CB-26-01-0388",
    order_id="CB-10388",
    delivered_on=date(2026, 1, 14),
)
AGENT = Actor("tariq.haddad", Role.AGENT)
RETURNS = Actor("ana.lima", Role.AGENT)
RMA = "260324-0211"


def tell(desk: CaseDesk) -> UUID:
    """Record story 5 on ``desk`` and return the case id."""
    # Monday 23 February 2026, 16:05: Mrs Hollis phones; her son's PC is "broken again".
    case_id = desk.open_case(
        customer=PARENT,
        subject="Son's custom PC keeps breaking: pop-ups, freezes",
        channel=Channel.PHONE,
        product=GAMING_PC,
        by=AGENT,
        occurred_at=datetime(2026, 2, 23, 16, 5, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=AGENT, by=AGENT, occurred_at=datetime(2026, 2, 23, 16, 5, tzinfo=UTC)
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="her son's PC is 'broken again': pop-ups and freezes, six weeks after delivery",
        demeanour=Demeanour.FRUSTRATED,
        by=AGENT,
        occurred_at=datetime(2026, 2, 23, 16, 6, tzinfo=UTC),
    )

    # The PC was paid for in full when ordered in January.
    desk.record_payment(
        case_id,
        amount=Money("2349.00", "USD"),
        reference="CB-10388",
        by=AGENT,
        occurred_at=datetime(2026, 1, 9, 12, 15, tzinfo=UTC),
    )

    # A remote session finds malware from unsafe browsing: the customer's side.
    desk.record_diagnosis(
        case_id,
        symptom="browser pop-ups, freezes, fans at full speed when idle",
        finding="remote scan found a crypto-miner and adware from 'free game' download sites",
        root_cause="malware from unsafe browsing",
        fault=Fault.CUSTOMER,
        by=AGENT,
        occurred_at=datetime(2026, 2, 23, 16, 30, tzinfo=UTC),
    )
    desk.record_remediation(
        case_id,
        action="removed the malware, reset the browsers, set up a standard account for the son",
        by=AGENT,
        occurred_at=datetime(2026, 2, 23, 17, 10, tzinfo=UTC),
    )

    # Goodwill: a free year of antivirus, within the agent's limit.
    desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.FREE_SOFTWARE,
        amount=Money("39.99", "USD"),
        reason="one-year antivirus licence, installed during the session",
        by=AGENT,
        occurred_at=datetime(2026, 2, 23, 17, 15, tzinfo=UTC),
    )

    # Tuesday 10 March: "broken again". The antivirus was switched off; same malware.
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="'broken again': the pop-ups are back and the PC restarts on its own",
        demeanour=Demeanour.FRUSTRATED,
        by=AGENT,
        occurred_at=datetime(2026, 3, 10, 10, 20, tzinfo=UTC),
    )
    desk.record_diagnosis(
        case_id,
        symptom="pop-ups and unexpected restarts",
        finding="antivirus disabled from an admin account; the same adware reinstalled",
        root_cause="malware from unsafe browsing, again",
        fault=Fault.CUSTOMER,
        by=AGENT,
        occurred_at=datetime(2026, 3, 10, 10, 45, tzinfo=UTC),
    )
    desk.record_remediation(
        case_id,
        action="removed the adware again and re-enabled the antivirus",
        by=AGENT,
        occurred_at=datetime(2026, 3, 10, 11, 20, tzinfo=UTC),
    )

    # Tuesday 24 March: "broken again", and now a lemon-law threat and a refund demand.
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="'broken again'; calls the PC a lemon and wants it taken back for a full refund",
        demeanour=Demeanour.FRUSTRATED,
        by=AGENT,
        occurred_at=datetime(2026, 3, 24, 15, 5, tzinfo=UTC),
    )
    desk.record_complaint(
        case_id,
        category=ComplaintCategory.LEMON_LAW,
        details="threatens a lemon-law claim unless the PC is taken back and refunded",
        by=AGENT,
        occurred_at=datetime(2026, 3, 24, 15, 12, tzinfo=UTC),
    )
    desk.request_refund(
        case_id,
        amount=Money("2349.00", "USD"),
        reason="customer demands a full refund under the lemon law",
        by=AGENT,
        occurred_at=datetime(2026, 3, 24, 15, 14, tzinfo=UTC),
    )

    # The PC comes in for a full inspection; the fault is hers, so she pays the shipping.
    desk.issue_rma(
        case_id,
        rma_number=RMA,
        items="custom-built gaming PC, serial CB-26-01-0388",
        reason="full inspection before any decision on the lemon-law claim",
        disposition=Disposition.INSPECT,
        by=AGENT,
        occurred_at=datetime(2026, 3, 24, 15, 20, tzinfo=UTC),
    )

    # Thursday 2 April: the box arrives. It is full of rocks.
    desk.receive_return(
        case_id,
        rma_number=RMA,
        condition="box sealed, RMA label on, 14.6 kg",
        by=RETURNS,
        occurred_at=datetime(2026, 4, 2, 11, 30, tzinfo=UTC),
    )
    desk.complete_inspection(
        case_id,
        rma_number=RMA,
        outcome=InspectionOutcome.NOT_AS_DESCRIBED,
        findings="no computer: landscaping rocks wrapped in bath towels; photographed, kept",
        by=RETURNS,
        occurred_at=datetime(2026, 4, 2, 14, 0, tzinfo=UTC),
    )

    # The RMA is rejected and the refund denied: nothing that was sold came back.
    desk.reject_rma(
        case_id,
        rma_number=RMA,
        reason="the box held rocks, not the PC with serial CB-26-01-0388",
        by=AGENT,
        occurred_at=datetime(2026, 4, 2, 14, 20, tzinfo=UTC),
    )
    desk.deny_refund(
        case_id,
        reason="the PC was never returned: the box held rocks and the RMA was rejected",
        by=AGENT,
        occurred_at=datetime(2026, 4, 2, 14, 25, tzinfo=UTC),
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="told Mrs Hollis the box held rocks, the RMA is rejected and no refund is due",
        demeanour=Demeanour.ANGRY,
        by=AGENT,
        occurred_at=datetime(2026, 4, 2, 15, 0, tzinfo=UTC),
    )

    # Friday 3 April: resolved as the customer's fault, and closed.
    desk.resolve_case(
        case_id,
        resolution="malware removed twice, antivirus given; RMA rejected (rocks); no refund",
        fault=Fault.CUSTOMER,
        by=AGENT,
        occurred_at=datetime(2026, 4, 3, 9, 30, tzinfo=UTC),
    )
    desk.close_case(case_id, by=AGENT, occurred_at=datetime(2026, 4, 3, 9, 31, tzinfo=UTC))
    return case_id


if __name__ == "__main__":  # python -m casehistory.stories.rocks_in_the_box [STORE]
    import sys

    from casehistory.stories import main

    sys.exit(main("rocks-in-the-box", sys.argv[1:]))
