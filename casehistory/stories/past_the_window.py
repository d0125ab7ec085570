"""Story 1, past the window.

A reseller's technician phones about a failed power supply, 41 days after purchase,
calm and professional. The return window is checked: outside, so the refund is
denied by policy. The agent grants a free overnight shipping upgrade on the
exchange before the day's cut-off; the replacement ships, the failed unit comes
back, and the case is resolved (fault NONE) and closed.
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
    Fault,
    GoodwillKind,
    Money,
    Payer,
    Product,
    Role,
    ServiceLevel,
)

__all__ = ["tell"]

RESELLER = Customer("CUST-20417", "Brightline IT Solutions", email="service@brightline-it.example")
POWER_SUPPLY = Product(
    sku="PSU-750GM",
    name="750 W modular power supply",
    purchased_on=date(2026, 4, 23),
    price=Money("189.00", "USD"),
    serial="PS750-2604-118273",
    order_id="SO-448120",
)
AGENT = Actor("dana.whitfield", Role.AGENT)
RMA = "260603-0147"


def tell(desk: CaseDesk) -> UUID:
    """Record story 1 on ``desk`` and return the case id."""
    # Wednesday 3 June 2026, 14:20: Tomás Herrera, Brightline's technician, phones in.
    case_id = desk.open_case(
        customer=RESELLER,
        subject="Power supply failed in a client build",
        channel=Channel.PHONE,
        product=POWER_SUPPLY,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 20, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=AGENT, by=AGENT, occurred_at=datetime(2026, 6, 3, 14, 20, tzinfo=UTC)
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary=(
            "technician Tomás Herrera reports the PSU shuts down under load in a client build "
            "and asks for a refund"
        ),
        demeanour=Demeanour.CALM,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 21, tzinfo=UTC),
    )

    # The order was paid in full on the day of purchase, 41 days ago.
    desk.record_payment(
        case_id,
        amount=Money("189.00", "USD"),
        reference="SO-448120",
        by=AGENT,
        occurred_at=datetime(2026, 4, 23, 11, 2, tzinfo=UTC),
    )

    # The technician's tester readings settle it: the part failed in normal service.
    desk.record_diagnosis(
        case_id,
        symptom="client PC powers off under load",
        finding="12 V rail drops below spec under load on the technician's PSU tester",
        root_cause="component failure in normal service",
        fault=Fault.NONE,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 24, tzinfo=UTC),
    )

    # Return window: outside (41 days). Warranty: still covered, so an exchange is owed.
    desk.check_entitlement(
        case_id,
        kind=EntitlementKind.RETURN_WINDOW,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 26, tzinfo=UTC),
    )
    desk.check_entitlement(
        case_id,
        kind=EntitlementKind.WARRANTY,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 26, tzinfo=UTC),
    )

    # The technician asks for a refund; the agent denies it by policy.
    desk.request_refund(
        case_id,
        amount=Money("189.00", "USD"),
        reason="technician asks for the failed power supply to be refunded",
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 27, tzinfo=UTC),
    )
    desk.deny_refund(
        case_id,
        reason="41 days after purchase, outside the 30-day return window; exchange offered",
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 28, tzinfo=UTC),
    )

    # At 14:31, well before the 16:30 cut-off, the agent upgrades the exchange to overnight.
    desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.FREE_SHIPPING_UPGRADE,
        amount=Money("42.00", "USD"),
        reason="overnight instead of standard shipping so the client build is up tomorrow",
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 31, tzinfo=UTC),
    )

    # An exchange RMA; the replacement ships overnight that afternoon.
    desk.issue_rma(
        case_id,
        rma_number=RMA,
        items="1 x 750 W modular power supply, serial PS750-2604-118273",
        reason="warranty exchange of a failed power supply",
        disposition=Disposition.REPLACE,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 14, 33, tzinfo=UTC),
    )
    desk.ship_replacement(
        case_id,
        rma_number=RMA,
        service_level=ServiceLevel.OVERNIGHT,
        tracking="1Z9W87E60123456789",
        paid_by=Payer.COMPANY,
        by=AGENT,
        occurred_at=datetime(2026, 6, 3, 16, 5, tzinfo=UTC),
    )

    # Monday 8 June: the failed unit is back, the exchange is complete.
    desk.receive_return(
        case_id,
        rma_number=RMA,
        condition="failed unit in its original box, serial matches",
        by=AGENT,
        occurred_at=datetime(2026, 6, 8, 10, 40, tzinfo=UTC),
    )
    desk.close_rma(
        case_id,
        rma_number=RMA,
        note="failed unit received; exchange complete",
        by=AGENT,
        occurred_at=datetime(2026, 6, 8, 10, 45, tzinfo=UTC),
    )

    # Resolved, nobody at fault, and closed.
    desk.resolve_case(
        case_id,
        resolution="replacement shipped overnight, failed unit returned; no refund (past window)",
        fault=Fault.NONE,
        by=AGENT,
        occurred_at=datetime(2026, 6, 8, 10, 50, tzinfo=UTC),
    )
    desk.close_case(case_id, by=AGENT, occurred_at=datetime(2026, 6, 8, 10, 51, tzinfo=UTC))
    return case_id


if __name__ == "__main__":  # python -m casehistory.stories.past_the_window [STORE]
    import sys

    from casehistory.stories import main

    sys.exit(main("past-the-window", sys.argv[1:]))
