"""A support desk's morning report: every question a team lead asks, one catalog query
each.

Run:  python examples/morning_report.py [STORE]

It records a month of cases first (seeded, so the report is the same every run) into
STORE (default: in memory), as the desk app would have during November; then, on the
morning of 1 December, it asks the catalog (``desk.catalog``, docs/catalog.md). On a
store of your own, skip the recording and keep the questions.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Direction,
    EscalationTarget,
    Fault,
    Money,
    Product,
    Role,
    Status,
    SteppingClock,
)

MORNING = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
AGENTS = [Actor(name, Role.AGENT) for name in ("a.lee", "b.osei", "c.ruiz")]
CUSTOMERS = [
    Customer(f"C-{n:03d}", name)
    for n, name in enumerate(
        ["Ana Ortiz", "Bo Lind", "Chen Wei", "Dana Whitfield", "Emeka Obi", "Fatima Zahra"]
    )
]
SUBJECTS = [
    "Parcel never arrived",
    "Refund for a cracked kettle",
    "Laptop will not charge",
    "Charged twice for one order",
    "Wrong size delivered",
]


def record_november(desk: CaseDesk, seed: int = 11) -> None:
    """Thirty cases over November, in the ways cases go: answered, waiting, escalated,
    refunded, resolved, closed, and some nobody answered yet."""
    rng = random.Random(seed)
    for n in range(30):
        agent, customer = rng.choice(AGENTS), rng.choice(CUSTOMERS)
        opened = datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(hours=19 * n, minutes=7 * n)
        price = Money(f"{rng.randint(20, 400)}.00", rng.choice(["USD", "EUR"]))
        case_id = desk.open_case(
            customer=customer,
            subject=rng.choice(SUBJECTS),
            channel=rng.choice([Channel.EMAIL, Channel.CHAT, Channel.PHONE]),
            product=Product("SKU-1", "kettle", opened.date() - timedelta(days=5), price),
            by=agent,
            occurred_at=opened,
        )
        if n % 7 == 6:
            continue  # nobody has picked it up yet
        desk.assign_agent(case_id, agent=agent, by=agent, occurred_at=opened)
        desk.record_payment(
            case_id, amount=price, reference=f"ORD-{n}", by=agent, occurred_at=opened
        )
        reply = opened + timedelta(hours=rng.choice([1, 2, 30]))
        desk.log_contact(
            case_id,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            summary="Sorry to hear it; we are on it.",
            awaiting_reply=n % 5 == 0,
            by=agent,
            occurred_at=reply,
        )
        if n % 5 == 0:
            continue  # waiting for the customer
        if n % 4 == 1:
            desk.request_escalation(
                case_id,
                to=EscalationTarget.SUPERVISOR,
                reason="customer asks for a manager",
                by=agent,
                occurred_at=reply + timedelta(hours=1),
            )
            continue
        later = reply + timedelta(days=1)
        if n % 3 == 0:
            desk.issue_refund(case_id, amount=price, reason="returned", by=agent, occurred_at=later)
        fault = Fault.OURS if n % 2 else Fault.CUSTOMER
        desk.resolve_case(case_id, resolution="sorted", fault=fault, by=agent, occurred_at=later)
        if n % 3 == 2:
            desk.close_case(case_id, by=agent, occurred_at=later + timedelta(days=2))


def report(desk: CaseDesk) -> list[str]:
    """The morning's answers, one query each."""
    catalog = desk.catalog
    now = desk.clock.now()
    lines = [f"Morning report, {now:%A %d %B %Y %H:%M} UTC"]

    working = [Status.NEW, Status.OPEN, Status.ESCALATED, Status.AWAITING_CUSTOMER]
    page = catalog.cases(status=working, limit=100)
    lines.append(f"\nOpen cases: {len(page.rows)} (oldest first)")
    for row in page.rows[:5]:
        age = (now - row.opened_at).days
        lines.append(f"  {row.customer_name:<15} {row.status:<18} open {age:>2} days")

    lines.append(f"\nAwaiting the customer: {catalog.count(awaiting='customer')}")

    pending = catalog.cases(pending_approval=True).rows
    lines.append(f"Escalations awaiting approval: {len(pending)}")
    for row in pending:
        lines.append(f"  {row.customer_name:<15} awaits {row.pending_escalation}")

    late = catalog.cases(sla_breached=True, status=working).rows
    lines.append(f"\nOpen cases past an SLA target: {len(late)}")
    for row in late[:5]:
        missed = "first response" if row.first_response_met_at is None else "resolution"
        due = row.first_response_due_at if missed == "first response" else row.resolution_due_at
        lines.append(f"  {row.customer_name:<15} {missed} was due {due:%d %b %H:%M}")

    stats = catalog.stats(period="month")
    lines.append("\nRefunds per month and currency:")
    for moved in stats.money:
        if moved.refunded:
            lines.append(f"  {moved.start:%Y-%m} {moved.currency} {moved.refunded:>9,.2f}")

    lines.append(f"\nCases of Ana Ortiz: {catalog.count(customer='C-000')}")
    lines.append(f"Cases whose fault was ours: {catalog.count(fault=Fault.OURS)}")
    return lines


def main(argv: list[str]) -> None:
    store = argv[0] if argv else ":memory:"
    with CaseDesk.open(store, clock=SteppingClock(MORNING - timedelta(hours=1))) as desk:
        if not desk.catalog.count():
            record_november(desk)
        for line in report(desk):
            print(line)


assert date(2026, 12, 1).weekday() == 1  # a Tuesday morning
if __name__ == "__main__":
    main(sys.argv[1:])
