"""Story 3, bait and switch.

After a year of a subscription she never used, a customer's plan renews at three
times the price she signed up for. She emails an angry complaint (bait and switch)
and cancels. The cancellation is completed, the complaint recorded; no refund is
owed by policy (the renewal is past the return window, and the price was shown at
sign-up). The case is resolved (fault NONE) and closed.
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
    EntitlementKind,
    Fault,
    Money,
    Product,
    Role,
)

__all__ = ["tell"]

CUSTOMER = Customer("CUST-47755", "Renata Kowalczyk", email="renata.k@example.com")
CUSTOMER_ACTOR = Actor(CUSTOMER.id, Role.CUSTOMER)
PLAN = "PhotoVault Plus annual plan"
SUBSCRIPTION = Product(
    sku="SUB-PVPLUS-Y",
    name=PLAN,
    purchased_on=date(2026, 4, 14),  # the current term: the renewal being disputed
    price=Money("119.99", "USD"),
    order_id="SUB-7781-2291",
)
MAIL_INTAKE = Actor("mail-intake", Role.SYSTEM)
AGENT = Actor("owen.gallagher", Role.AGENT)


def tell(desk: CaseDesk) -> UUID:
    """Record story 3 on ``desk`` and return the case id."""
    # Tuesday 26 May 2026, 09:47: her email arrives and the mail intake opens a case.
    case_id = desk.open_case(
        customer=CUSTOMER,
        subject="'You tricked me': plan renewed at 119.99 instead of 39.99",
        channel=Channel.EMAIL,
        product=SUBSCRIPTION,
        by=MAIL_INTAKE,
        occurred_at=datetime(2026, 5, 26, 9, 47, tzinfo=UTC),
    )
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        summary=(
            "signed up at 39.99 a year, renewed at 119.99 for a service she never used; "
            "calls it a bait and switch, wants her money back and the account cancelled"
        ),
        demeanour=Demeanour.ANGRY,
        by=CUSTOMER_ACTOR,
        occurred_at=datetime(2026, 5, 26, 9, 47, tzinfo=UTC),
    )
    desk.assign_agent(
        case_id, agent=AGENT, by=AGENT, occurred_at=datetime(2026, 5, 26, 10, 5, tzinfo=UTC)
    )

    # The billing history: the introductory year, then the renewal she disputes.
    desk.record_payment(
        case_id,
        amount=Money("39.99", "USD"),
        reference="SUB-7781-2291 first year",
        by=AGENT,
        occurred_at=datetime(2025, 4, 14, 8, 0, tzinfo=UTC),
    )
    desk.record_payment(
        case_id,
        amount=Money("119.99", "USD"),
        reference="SUB-7781-2291 renewal",
        by=AGENT,
        occurred_at=datetime(2026, 4, 14, 8, 0, tzinfo=UTC),
    )

    # Her complaint is recorded as what it is.
    desk.record_complaint(
        case_id,
        category=ComplaintCategory.BAIT_AND_SWITCH,
        details="advertised at 39.99 a year; renewed at 119.99 after a year of no use",
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 12, tzinfo=UTC),
    )

    # She cancels: auto-renewal stops and the paid term runs to its end.
    desk.request_cancellation(
        case_id,
        subscription=PLAN,
        reason="customer no longer wants the service",
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 15, tzinfo=UTC),
    )
    desk.complete_cancellation(
        case_id,
        subscription=PLAN,
        effective_on=date(2027, 4, 13),
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 16, tzinfo=UTC),
    )

    # The agent checks what she was shown: the renewal price was disclosed.
    desk.add_note(
        case_id,
        text=(
            "sign-up page archive shows 39.99 labelled 'first year, then 119.99'; "
            "renewal reminder emailed on 2026-03-15"
        ),
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 24, tzinfo=UTC),
    )

    # Return window for the renewal: outside (42 days). The refund is denied by policy.
    desk.check_entitlement(
        case_id,
        kind=EntitlementKind.RETURN_WINDOW,
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 26, tzinfo=UTC),
    )
    desk.request_refund(
        case_id,
        amount=Money("119.99", "USD"),
        reason="customer wants the renewal charge back",
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 27, tzinfo=UTC),
    )
    desk.deny_refund(
        case_id,
        reason="renewal 42 days ago, outside the 30-day window; price disclosed at sign-up",
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 28, tzinfo=UTC),
    )

    # Resolved, nobody at fault, and closed.
    desk.resolve_case(
        case_id,
        resolution="cancelled at the end of the paid term; complaint recorded; no refund owed",
        fault=Fault.NONE,
        by=AGENT,
        occurred_at=datetime(2026, 5, 26, 10, 40, tzinfo=UTC),
    )
    desk.close_case(case_id, by=AGENT, occurred_at=datetime(2026, 5, 26, 10, 41, tzinfo=UTC))
    return case_id


if __name__ == "__main__":  # python -m casehistory.stories.bait_and_switch [STORE]
    import sys

    from casehistory.stories import main

    sys.exit(main("bait-and-switch", sys.argv[1:]))
