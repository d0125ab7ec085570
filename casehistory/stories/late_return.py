"""A story with a late entry: the return booked in four days late.

Not one of the five stories of the domain guide: the worked example of the bi-temporal
queries (docs/as-of.md). A stand mixer arrives with a cracked bowl, packed without its
insert: fault OURS. An RMA is issued for a refund on return. The parcel reaches the
warehouse on Thursday 5 March, but sits on the returns bench; on Friday the customer
phones, and the agent, seeing no return booked in, can only promise to look for it.
The clerk books the return in on Monday 9 March, dated Thursday: an event that
occurred last week, recorded today. The refund follows, and the case is closed.

Unlike the five stories, this one sets the store times too, so that "what did the
desk know on Friday?" has an answer: tell it on a desk opened with a
:class:`~casehistory.FixedClock`, which the story moves to each recording time.

>>> from datetime import UTC, datetime
>>> from casehistory import CaseDesk, FixedClock
>>> desk = CaseDesk.open(":memory:", clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
>>> case_id = tell(desk)
>>> desk.case(case_id, as_of=FRIDAY_NOON, known_at=FRIDAY_NOON).status.name
'AWAITING_RETURN'
>>> desk.case(case_id, as_of=FRIDAY_NOON).status.name
'IN_SERVICE'
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
    Fault,
    FixedClock,
    InspectionOutcome,
    Money,
    Product,
    Role,
)
from casehistory.errors import InvalidInput

__all__ = ["BOOKED_IN", "FRIDAY_NOON", "RETURN_ARRIVED", "RMA", "tell"]

CUSTOMER = Customer("CUST-81407", "Priya Nair", email="priya.nair@example.org")
MIXER = Product(
    sku="MX-500-SG",
    name="5-quart stand mixer, sage",
    purchased_on=date(2026, 2, 20),
    price=Money("349.00", "USD"),
    serial="MX5-2602-40981",
    order_id="ORD-77120",
    delivered_on=date(2026, 2, 27),
)
AGENT = Actor("lena.brandt", Role.AGENT)
CLERK = Actor("sam.okafor", Role.AGENT)
RMA = "260302-0318"

RETURN_ARRIVED = datetime(2026, 3, 5, 14, 20, tzinfo=UTC)
"""Business time of the late entry: the parcel reached the warehouse (Thursday)."""
FRIDAY_NOON = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
"""After the customer's Friday call, before the return was booked in."""
BOOKED_IN = datetime(2026, 3, 9, 8, 40, tzinfo=UTC)
"""Store time of the late entry: the clerk booked the return in (Monday)."""


def _on(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def tell(desk: CaseDesk) -> UUID:
    """Record the story on ``desk`` (whose clock must be a FixedClock) and return the case id."""
    clock = desk.clock
    if not isinstance(clock, FixedClock):
        raise InvalidInput(
            f"the late-return story sets its own store times; open the desk with a "
            f"FixedClock, not {clock!r}"
        )

    # Monday 2 March 2026, 09:00: Ms Nair phones; the agent types as they talk.
    clock.set(_on(2026, 3, 2, 9, 2))
    case_id = desk.open_case(
        customer=CUSTOMER,
        subject="Stand mixer arrived with a cracked bowl",
        channel=Channel.PHONE,
        product=MIXER,
        by=AGENT,
        occurred_at=_on(2026, 3, 2, 9, 0),
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=_on(2026, 3, 2, 9, 0))
    clock.set(_on(2026, 3, 2, 9, 3))
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="bowl cracked when she unpacked the mixer on Friday; wants her money back",
        demeanour=Demeanour.CALM,
        by=AGENT,
        occurred_at=_on(2026, 3, 2, 9, 1),
    )
    clock.set(_on(2026, 3, 2, 9, 4))
    desk.record_payment(
        case_id,
        amount=Money("349.00", "USD"),
        reference="ORD-77120",
        by=AGENT,
        occurred_at=_on(2026, 2, 20, 10, 30),
    )
    clock.set(_on(2026, 3, 2, 9, 5))
    desk.request_refund(
        case_id,
        amount=Money("349.00", "USD"),
        reason="bowl cracked on arrival",
        by=AGENT,
        occurred_at=_on(2026, 3, 2, 9, 1),
    )

    # Her photos show the bowl packed without its foam insert: our packing error.
    clock.set(_on(2026, 3, 2, 9, 9))
    desk.record_diagnosis(
        case_id,
        symptom="bowl cracked on arrival",
        finding="photos show the bowl packed without its foam insert",
        root_cause="packing error in our warehouse",
        fault=Fault.OURS,
        by=AGENT,
        occurred_at=_on(2026, 3, 2, 9, 8),
    )
    clock.set(_on(2026, 3, 2, 9, 13))
    desk.issue_rma(
        case_id,
        rma_number=RMA,
        items="stand mixer MX5-2602-40981 with its cracked bowl",
        reason="cracked on arrival; refund when the return is received",
        disposition=Disposition.REFUND,
        by=AGENT,
        occurred_at=_on(2026, 3, 2, 9, 12),
    )

    # Thursday 5 March, 14:20: the parcel reaches the warehouse and is left on the
    # returns bench. Nobody books it in, so nothing is recorded.

    # Friday 6 March, 11:00: Ms Nair phones. The desk shows no return received.
    clock.set(_on(2026, 3, 6, 11, 4))
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary="tracking shows the parcel delivered to our warehouse yesterday; where is "
        "her refund?",
        demeanour=Demeanour.FRUSTRATED,
        by=AGENT,
        occurred_at=_on(2026, 3, 6, 11, 0),
    )
    clock.set(_on(2026, 3, 6, 11, 6))
    desk.add_note(
        case_id,
        text=f"no return booked in on RMA {RMA}; asked the warehouse to look for the parcel",
        by=AGENT,
        occurred_at=_on(2026, 3, 6, 11, 6),
    )

    # Monday 9 March, 08:40: the clerk finds the parcel and books it in, dated Thursday.
    clock.set(BOOKED_IN)
    desk.receive_return(
        case_id,
        rma_number=RMA,
        condition="found on the returns bench; delivered Thursday, booked in late",
        by=CLERK,
        occurred_at=RETURN_ARRIVED,
    )
    clock.set(_on(2026, 3, 9, 9, 1))
    desk.complete_inspection(
        case_id,
        rma_number=RMA,
        outcome=InspectionOutcome.AS_DESCRIBED,
        findings="bowl cracked as reported; mixer unused",
        by=CLERK,
        occurred_at=_on(2026, 3, 9, 9, 0),
    )

    # The refund, inside the 30-day window counted from delivery; then the RMA closes.
    clock.set(_on(2026, 3, 9, 9, 11))
    desk.issue_refund(
        case_id,
        amount=Money("349.00", "USD"),
        reason="return received and inspected: cracked on arrival",
        by=AGENT,
        occurred_at=_on(2026, 3, 9, 9, 10),
    )
    clock.set(_on(2026, 3, 9, 9, 16))
    desk.close_rma(
        case_id,
        rma_number=RMA,
        note="refunded in full",
        by=AGENT,
        occurred_at=_on(2026, 3, 9, 9, 15),
    )
    clock.set(_on(2026, 3, 9, 9, 21))
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="apologised: the parcel arrived Thursday but was booked in today; 349.00 refunded",
        demeanour=Demeanour.POLITE,
        by=AGENT,
        occurred_at=_on(2026, 3, 9, 9, 20),
    )
    clock.set(_on(2026, 3, 9, 9, 26))
    desk.resolve_case(
        case_id,
        resolution="refunded in full on return; the return was booked in four days late",
        fault=Fault.OURS,
        by=AGENT,
        occurred_at=_on(2026, 3, 9, 9, 25),
    )
    desk.close_case(case_id, by=AGENT, occurred_at=_on(2026, 3, 9, 9, 25))
    return case_id
