"""Story 4, the $6,000 hold.

An order of office chairs arrives wrong; the call is transferred to Purchasing, and
the audit trail shows the transfer. Weeks later the re-order is billed again by
mistake, placing a hold of 6,012.47 USD on the customer's checking account: fault
OURS. The case comes back to Customer Service, the hold is released in full, an
apology and a credit are recorded, and the case is resolved. The customer stays
polite throughout. The domain guide does not close this case, so it ends RESOLVED.
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
    Fault,
    Money,
    Product,
    Role,
)

__all__ = ["tell"]

CUSTOMER = Customer("CUST-60931", "Marisol Vega", email="office@vegafamilydental.example")
CHAIRS = Product(
    sku="CHR-ERG-BLK-12",
    name="12 ergonomic task chairs, black",
    purchased_on=date(2026, 7, 28),
    price=Money("6012.47", "USD"),
    order_id="ORD-58213",
    delivered_on=date(2026, 8, 3),
)
AGENT = Actor("jordan.reyes", Role.AGENT)
BUYER = Actor("wei.chen", Role.AGENT)
SUPERVISOR = Actor("amara.osei", Role.SUPERVISOR)
BILLING = Actor("billing-run", Role.SYSTEM)
HOLD = "AUTH-0908-77342"


def tell(desk: CaseDesk) -> UUID:
    """Record story 4 on ``desk`` and return the case id."""
    # Tuesday 4 August 2026, 10:12: Dr Vega phones about yesterday's delivery.
    case_id = desk.open_case(
        customer=CUSTOMER,
        subject="Order ORD-58213 arrived wrong: 9 grey chairs instead of 12 black",
        channel=Channel.PHONE,
        product=CHAIRS,
        by=AGENT,
        occurred_at=datetime(2026, 8, 4, 10, 12, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=AGENT, by=AGENT, occurred_at=datetime(2026, 8, 4, 10, 12, tzinfo=UTC)
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="9 grey chairs delivered instead of 12 black; needs them before the practice opens",
        demeanour=Demeanour.POLITE,
        by=AGENT,
        occurred_at=datetime(2026, 8, 4, 10, 13, tzinfo=UTC),
    )

    # The order was paid by debit from the practice's checking account.
    desk.record_payment(
        case_id,
        amount=Money("6012.47", "USD"),
        reference="ORD-58213",
        by=AGENT,
        occurred_at=datetime(2026, 7, 28, 15, 40, tzinfo=UTC),
    )

    # The call goes to Purchasing, who own supplier re-orders; a buyer takes the case.
    desk.transfer_case(
        case_id,
        to_department="Purchasing",
        reason="supplier short-shipped the wrong colour; Purchasing re-orders from suppliers",
        by=AGENT,
        occurred_at=datetime(2026, 8, 4, 10, 25, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=BUYER, by=BUYER, occurred_at=datetime(2026, 8, 4, 10, 25, tzinfo=UTC)
    )
    desk.add_note(
        case_id,
        text="re-ordered 12 black chairs as RO-58213-1; carrier to collect the 9 grey chairs",
        by=BUYER,
        occurred_at=datetime(2026, 8, 4, 11, 15, tzinfo=UTC),
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="told Dr Vega the right chairs arrive by 18 August; she thanked us",
        demeanour=Demeanour.POLITE,
        by=BUYER,
        occurred_at=datetime(2026, 8, 4, 11, 30, tzinfo=UTC),
    )
    desk.add_note(
        case_id,
        text="12 black chairs delivered and signed for; grey chairs collected",
        by=BUYER,
        occurred_at=datetime(2026, 8, 18, 14, 2, tzinfo=UTC),
    )

    # Tuesday 8 September, 02:14: the nightly billing run charges the re-order again.
    desk.place_hold(
        case_id,
        amount=Money("6012.47", "USD"),
        account="checking account ending 4471",
        reference=HOLD,
        reason="payment authorisation for RO-58213-1",
        by=BILLING,
        occurred_at=datetime(2026, 9, 8, 2, 14, tzinfo=UTC),
    )

    # 09:05: Dr Vega phones, still polite: payroll is due on Friday. The agent who took
    # her first call brings the case back to Customer Service.
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="her bank shows 6,012.47 held a second time; payroll is due Friday",
        demeanour=Demeanour.POLITE,
        by=AGENT,
        occurred_at=datetime(2026, 9, 8, 9, 5, tzinfo=UTC),
    )
    desk.transfer_case(
        case_id,
        to_department="Customer Service",
        reason="chairs delivered; the open question is now a hold on the customer's account",
        by=AGENT,
        occurred_at=datetime(2026, 9, 8, 9, 8, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=AGENT, by=AGENT, occurred_at=datetime(2026, 9, 8, 9, 8, tzinfo=UTC)
    )
    desk.record_diagnosis(
        case_id,
        symptom="second hold of 6,012.47 on the customer's checking account",
        finding="re-order RO-58213-1 was billed as a new sale on the original payment method",
        root_cause="re-order keyed as a new sale instead of an exchange on ORD-58213",
        fault=Fault.OURS,
        by=AGENT,
        occurred_at=datetime(2026, 9, 8, 9, 20, tzinfo=UTC),
    )

    # The hold is released in full, the same morning.
    desk.release_hold(
        case_id,
        reference=HOLD,
        amount=Money("6012.47", "USD"),
        reason="duplicate authorisation voided with the bank",
        by=AGENT,
        occurred_at=datetime(2026, 9, 8, 9, 40, tzinfo=UTC),
    )

    # A credit above the agent's limit, so the supervisor issues it; then the apology.
    desk.issue_credit(
        case_id,
        amount=Money("150.00", "USD"),
        reason="apology for the 6,012.47 our billing error held on her checking account",
        by=SUPERVISOR,
        occurred_at=datetime(2026, 9, 8, 9, 48, tzinfo=UTC),
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="apologised for our billing error; hold released in full, 150.00 credit issued",
        demeanour=Demeanour.POLITE,
        by=AGENT,
        occurred_at=datetime(2026, 9, 8, 9, 55, tzinfo=UTC),
    )

    # Resolved as our fault; left RESOLVED, as the story ends.
    desk.resolve_case(
        case_id,
        resolution="right chairs delivered; duplicate hold released in full; apology and credit",
        fault=Fault.OURS,
        by=AGENT,
        occurred_at=datetime(2026, 9, 8, 10, 5, tzinfo=UTC),
    )
    return case_id


if __name__ == "__main__":  # python -m casehistory.stories.six_thousand_hold [STORE]
    import sys

    from casehistory.stories import main

    sys.exit(main("six-thousand-hold", sys.argv[1:]))
