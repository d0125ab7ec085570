"""Small builders shared by the unit tests: desks, actors, cases, and the commands.

Not a test module (pytest does not collect it) and not imported through ``sys.path``:
each test module loads it by file path (``importlib``, cached in ``sys.modules`` under
``casehistory_unit_builders``), so the tests need no package, no ``__init__.py`` and
no conftest.

Two builders carry the lifecycle tests:

* :func:`drive_to` takes a fresh case into any :class:`Status` through real commands;
* :data:`COMMANDS` holds, for every lifecycle key of ``TRANSITIONS``, one valid command
  that records an event with that key.

:func:`drive_to` goes the long way round on purpose. Before it heads for the status
asked for, the case has been paid, has a hold and (past NEW) a pending refund request
and a settled RMA. So every command's own preconditions (something paid, something
held, a request to deny, an RMA to name, ...) hold in every status where they *can*
hold, and the lifecycle table is left as the only reason for a refusal. The RMA steps
name the case's latest RMA: the open one in AWAITING_RETURN and IN_SERVICE, the
settled one elsewhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from casehistory import (
    TRANSITIONS,
    Actor,
    CaseDesk,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    EntitlementKind,
    ErasureGround,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Money,
    Payer,
    Policies,
    Product,
    RepairCoverage,
    Role,
    ServiceLevel,
    Status,
    SteppingClock,
)
from casehistory.domain.case import Case
from casehistory.domain.rulebook import RULES_VERSION
from casehistory.errors import ReturnNotReceived

# Times -----------------------------------------------------------------------

CLOCK_START = datetime(2026, 11, 1, tzinfo=UTC)
"""Where every test desk's store clock starts; business times are all before it."""

T = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
"""The business time of every command that does not care about its time."""

PURCHASED_ON = date(2026, 9, 20)
"""The default product's purchase date: 11 days before ``T``, inside every window."""


# People ----------------------------------------------------------------------

AGENT = Actor("a.lee", Role.AGENT)
OTHER_AGENT = Actor("b.cho", Role.AGENT)
SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)
MANAGER = Actor("m.ortiz", Role.MANAGER)
VENDOR = Actor("v.acme", Role.VENDOR)
SYSTEM = Actor("sys.rules", Role.SYSTEM)
CUSTOMER = Actor("c.dana", Role.CUSTOMER)
AUDITOR = Actor("au.reed", Role.AUDITOR)
PRIVACY_OFFICER = Actor("p.osei", Role.PRIVACY_OFFICER)

_BY_ROLE = {
    Role.AGENT: AGENT,
    Role.SUPERVISOR: SUPERVISOR,
    Role.MANAGER: MANAGER,
    Role.VENDOR: VENDOR,
    Role.SYSTEM: SYSTEM,
    Role.CUSTOMER: CUSTOMER,
    Role.AUDITOR: AUDITOR,
    Role.PRIVACY_OFFICER: PRIVACY_OFFICER,
}


def actor(role: Role) -> Actor:
    """The one test actor of ``role`` (none of them ever asks for an escalation)."""
    return _BY_ROLE[role]


# Money -----------------------------------------------------------------------


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


# Desks and cases -------------------------------------------------------------


def memory_desk(policies: Policies | None = None) -> CaseDesk:
    """An in-memory desk whose store clock starts at ``CLOCK_START`` and steps 1s."""
    return CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START), policies=policies)


def file_desk(
    path: Path, policies: Policies | None = None, *, start: datetime = CLOCK_START
) -> CaseDesk:
    """A desk on the SQLite file ``path``; a desk reopened later needs a later ``start``
    (store time never goes backwards on a case)."""
    return CaseDesk.open(path, clock=SteppingClock(start), policies=policies)


def stored_event_rows(path: Path) -> int:
    """How many rows the SQLite file's ``stored_events`` table holds (read-only)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])
    finally:
        connection.close()


def product(
    purchased_on: date = PURCHASED_ON,
    *,
    price: Money | None = None,
    delivered_on: date | None = None,
) -> Product:
    return Product(
        "SKU-PSU-650",
        "PSU 650W",
        purchased_on,
        price or eur("100.00"),
        serial="SN-1",
        order_id="ORD-1",
        delivered_on=delivered_on,
    )


def open_case(
    desk: CaseDesk,
    *,
    with_product: Product | None = None,
    no_product: bool = False,
    by: Actor = AGENT,
    occurred_at: datetime = T,
    case_id: UUID | None = None,
    rules: int = RULES_VERSION,
) -> UUID:
    """Open a NEW case for customer Dana, about the default product unless told.

    ``rules=1`` opens it as a record written before the rules version (a ``CaseOpened``
    with no ``rules``), which no desk command does: the case is held to rules 1, as an
    old store's cases are (casehistory.domain.rulebook)."""
    customer = Customer(CUSTOMER.id, "Dana")  # rules 2: the customer speaks for themselves
    bought = None if no_product else (with_product or product())
    if rules == RULES_VERSION:
        return desk.open_case(
            customer=customer,
            subject="the power supply failed",
            channel=Channel.PHONE,
            by=by,
            occurred_at=occurred_at,
            product=bought,
            case_id=case_id,
        )
    assert rules == 1, f"no way to open a case under rules {rules}"
    old = Case.open(
        customer=customer,
        subject="the power supply failed",
        channel=Channel.PHONE,
        by=by,
        occurred_at=occurred_at,
        recorded_at=desk.clock.now(),
        product=bought,
        case_id=case_id,
        rules=None,
    )
    desk._save(old)  # the one way in for a record no command writes any more
    desk._floor_at_head()  # as if the store took rules 2 after it: an upgraded store
    return old.id


def open_assigned_case(desk: CaseDesk, **kwargs: object) -> UUID:
    """Open a case and assign it to the agent: status OPEN."""
    case_id = open_case(desk, **kwargs)  # type: ignore[arg-type]
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=T)
    return case_id


def event_count(desk: CaseDesk, case_id: UUID) -> int:
    return len(desk.history(case_id))


def last_event(desk: CaseDesk, case_id: UUID) -> object:
    return desk.history(case_id)[-1]


def status(desk: CaseDesk, case_id: UUID) -> Status:
    return desk.case(case_id).status


# Small steps -----------------------------------------------------------------


def issue_rma(desk: CaseDesk, case_id: UUID, number: str, *, by: Actor = AGENT) -> None:
    desk.issue_rma(
        case_id,
        rma_number=number,
        items="PSU 650W",
        reason="failed part",
        disposition=Disposition.REPAIR,
        by=by,
        occurred_at=T,
    )


def receive(desk: CaseDesk, case_id: UUID, number: str) -> None:
    desk.receive_return(case_id, rma_number=number, by=AGENT, occurred_at=T)


def resolve(desk: CaseDesk, case_id: UUID, fault: Fault = Fault.NONE) -> None:
    desk.resolve_case(case_id, resolution="fixed", fault=fault, by=AGENT, occurred_at=T)


def reopen(desk: CaseDesk, case_id: UUID) -> None:
    desk.reopen_case(case_id, reason="it failed again", by=AGENT, occurred_at=T)


def close(desk: CaseDesk, case_id: UUID) -> None:
    desk.close_case(case_id, by=AGENT, occurred_at=T)


def escalate(
    desk: CaseDesk,
    case_id: UUID,
    to: EscalationTarget = EscalationTarget.SUPERVISOR,
    *,
    by: Actor = AGENT,
) -> None:
    desk.request_escalation(case_id, to=to, reason="needs an exception", by=by, occurred_at=T)


def pending_number(desk: CaseDesk, case_id: UUID) -> int:
    """The number of the case's latest escalation (the pending one, if any), else 1."""
    escalations = desk.case(case_id).escalations
    return escalations[-1].number if escalations else 1


def approve(desk: CaseDesk, case_id: UUID, *, by: Actor = SUPERVISOR) -> None:
    desk.approve_escalation(
        case_id, number=pending_number(desk, case_id), reason="approved", by=by, occurred_at=T
    )


def deny(desk: CaseDesk, case_id: UUID, *, by: Actor = SUPERVISOR) -> None:
    desk.deny_escalation(
        case_id, number=pending_number(desk, case_id), reason="denied", by=by, occurred_at=T
    )


def pay(desk: CaseDesk, case_id: UUID, amount: Money) -> None:
    desk.record_payment(case_id, amount=amount, reference="ORD-1", by=AGENT, occurred_at=T)


def refund(desk: CaseDesk, case_id: UUID, amount: Money, *, by: Actor = AGENT) -> None:
    desk.issue_refund(case_id, amount=amount, reason="part failed", by=by, occurred_at=T)


def place_hold(desk: CaseDesk, case_id: UUID, amount: Money, reference: str = "HOLD-1") -> None:
    desk.place_hold(
        case_id,
        amount=amount,
        account="checking ****1234",
        reference=reference,
        reason="billing error",
        by=AGENT,
        occurred_at=T,
    )


def release(desk: CaseDesk, case_id: UUID, amount: Money, reference: str = "HOLD-1") -> None:
    desk.release_hold(
        case_id, reference=reference, amount=amount, reason="billing error", by=AGENT, occurred_at=T
    )


def check(desk: CaseDesk, case_id: UUID, kind: EntitlementKind, occurred_at: datetime = T) -> None:
    desk.check_entitlement(case_id, kind=kind, by=AGENT, occurred_at=occurred_at)


# Driving a case into a status ------------------------------------------------

SETTLED_RMA = "RMA-S"
"""An RMA that :func:`drive_to` issued, received and closed on the way (not in NEW)."""

CURRENT_RMA = "RMA-X"
"""The RMA that :func:`drive_to` issues to reach AWAITING_RETURN and IN_SERVICE."""


def drive_to(desk: CaseDesk, target: Status, *, rules: int = RULES_VERSION) -> UUID:
    """A fresh case (held to ``rules``) taken to ``target`` by real commands (see the
    module docstring)."""
    case_id = open_case(desk, rules=rules)
    pay(desk, case_id, eur("100.00"))
    place_hold(desk, case_id, eur("60.00"))
    desk.request_cancellation(
        case_id, subscription="SUB-1", reason="too expensive", by=AGENT, occurred_at=T
    )
    if target is Status.NEW:
        return _arrived(desk, case_id, target)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=T)
    desk.request_refund(
        case_id, amount=eur("10.00"), reason="changed mind", by=AGENT, occurred_at=T
    )
    issue_rma(desk, case_id, SETTLED_RMA)
    receive(desk, case_id, SETTLED_RMA)
    desk.close_rma(case_id, rma_number=SETTLED_RMA, by=AGENT, occurred_at=T)
    # OPEN, with a payment, a hold, a pending refund request and a settled RMA.
    if target is Status.AWAITING_CUSTOMER:
        desk.log_contact(
            case_id,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            summary="asked for the receipt",
            demeanour=Demeanour.CALM,
            by=AGENT,
            occurred_at=T,
            awaiting_reply=True,
        )
    elif target is Status.AWAITING_RETURN:
        issue_rma(desk, case_id, CURRENT_RMA)
    elif target is Status.IN_SERVICE:
        issue_rma(desk, case_id, CURRENT_RMA)
        receive(desk, case_id, CURRENT_RMA)
    elif target is Status.ESCALATED:
        escalate(desk, case_id)
    elif target is Status.RESOLVED:
        resolve(desk, case_id)
    elif target is Status.CLOSED:
        resolve(desk, case_id)
        close(desk, case_id)
    return _arrived(desk, case_id, target)


def _arrived(desk: CaseDesk, case_id: UUID, target: Status) -> UUID:
    reached = status(desk, case_id)
    assert reached is target, f"drive_to({target.name}) reached {reached.name}"
    return case_id


def latest_rma(desk: CaseDesk, case_id: UUID) -> str:
    """The number of the case's latest RMA (the open one, if any), or 'RMA-NONE'."""
    rmas = desk.case(case_id).rmas
    return rmas[-1].number if rmas else "RMA-NONE"


# One valid command per lifecycle key -----------------------------------------

Command = Callable[[CaseDesk, UUID, Actor | None], None]


def _contact(direction: Direction, awaiting_reply: bool = False) -> Command:
    def command(desk: CaseDesk, case_id: UUID, by: Actor | None) -> None:
        desk.log_contact(
            case_id,
            channel=Channel.PHONE,
            direction=direction,
            summary="customer called about the PSU",
            demeanour=Demeanour.CALM,
            by=by or AGENT,
            occurred_at=T,
            awaiting_reply=awaiting_reply,
        )

    return command


def _link(desk: CaseDesk, case_id: UUID, by: Actor | None) -> None:
    other = open_case(desk)
    desk.link_cases(
        case_id, other_case_id=other, relation=LinkKind.RELATED, by=by or AGENT, occurred_at=T
    )


def _open_with_same_id(desk: CaseDesk, case_id: UUID, by: Actor | None) -> None:
    # CaseOpened is allowed only where there is no case yet: on an existing case the
    # one way to try it is to open a case with the same id.
    open_case(desk, by=by or AGENT, case_id=case_id)


def _forget(desk: CaseDesk, case_id: UUID, by: Actor | None) -> None:
    # A command on every case of the customer: the tests' cases are all Dana's.
    desk.forget_customer(
        desk.case(case_id).customer.id,
        ground=ErasureGround.CONSENT_WITHDRAWN,
        by=by or PRIVACY_OFFICER,
        occurred_at=T,
    )


COMMANDS: dict[str, Command] = {
    "CaseOpened": _open_with_same_id,
    "CustomerForgotten": _forget,
    "AgentAssigned": lambda d, c, by: d.assign_agent(
        c, agent=OTHER_AGENT, by=by or AGENT, occurred_at=T
    ),
    "CaseTransferred": lambda d, c, by: d.transfer_case(
        c, to_department="Purchasing", reason="order problem", by=by or AGENT, occurred_at=T
    ),
    "CaseResolved": lambda d, c, by: d.resolve_case(
        c, resolution="fixed", fault=Fault.NONE, by=by or AGENT, occurred_at=T
    ),
    "CaseClosed": lambda d, c, by: d.close_case(c, by=by or AGENT, occurred_at=T),
    "CaseReopened": lambda d, c, by: d.reopen_case(
        c, reason="it failed again", by=by or AGENT, occurred_at=T
    ),
    "CasesLinked": _link,
    "ContactLogged (inbound)": _contact(Direction.INBOUND),
    "ContactLogged (outbound)": _contact(Direction.OUTBOUND),
    "ContactLogged (outbound, awaiting reply)": _contact(Direction.OUTBOUND, awaiting_reply=True),
    "NoteAdded": lambda d, c, by: d.add_note(
        c, text="customer sounded calm", by=by or AGENT, occurred_at=T
    ),
    "ComplaintRecorded": lambda d, c, by: d.record_complaint(
        c,
        category=ComplaintCategory.SERVICE,
        details="waited too long",
        by=by or AGENT,
        occurred_at=T,
    ),
    "CommendationRecorded": lambda d, c, by: d.record_commendation(
        c,
        agent=OTHER_AGENT,  # rules 2: never the one who records it
        source=SUPERVISOR,
        text="handled it well",
        by=by or AGENT,
        occurred_at=T,
    ),
    "DiagnosisRecorded": lambda d, c, by: d.record_diagnosis(
        c,
        symptom="no power",
        finding="blown capacitor",
        root_cause="component failure",
        fault=Fault.VENDOR,
        by=by or AGENT,
        occurred_at=T,
    ),
    "RemediationPerformed": lambda d, c, by: d.record_remediation(
        c, action="replaced the fuse", by=by or AGENT, occurred_at=T
    ),
    "EntitlementChecked": lambda d, c, by: d.check_entitlement(
        c, kind=EntitlementKind.WARRANTY, by=by or AGENT, occurred_at=T
    ),
    "EscalationRequested": lambda d, c, by: d.request_escalation(
        c, to=EscalationTarget.SUPERVISOR, reason="needs approval", by=by or AGENT, occurred_at=T
    ),
    "EscalationApproved": lambda d, c, by: d.approve_escalation(
        c, number=pending_number(d, c), reason="approved", by=by or SUPERVISOR, occurred_at=T
    ),
    "EscalationDenied": lambda d, c, by: d.deny_escalation(
        c, number=pending_number(d, c), reason="denied", by=by or SUPERVISOR, occurred_at=T
    ),
    "GoodwillGranted": lambda d, c, by: d.grant_goodwill(
        c,
        kind=GoodwillKind.FREE_SOFTWARE,
        amount=eur("10.00"),
        reason="sorry for the wait",
        by=by or AGENT,
        occurred_at=T,
    ),
    "RmaIssued": lambda d, c, by: issue_rma(d, c, "RMA-NEW", by=by or AGENT),
    "ReturnReceived": lambda d, c, by: d.receive_return(
        c, rma_number=latest_rma(d, c), by=by or AGENT, occurred_at=T
    ),
    "InspectionCompleted": lambda d, c, by: d.complete_inspection(
        c,
        rma_number=latest_rma(d, c),
        outcome=InspectionOutcome.AS_DESCRIBED,
        findings="as described",
        by=by or AGENT,
        occurred_at=T,
    ),
    "RepairCompleted": lambda d, c, by: d.complete_repair(
        c,
        rma_number=latest_rma(d, c),
        work_done="new capacitor",
        covered_by=RepairCoverage.CUSTOMER,
        by=by or AGENT,
        occurred_at=T,
    ),
    "ReplacementShipped": lambda d, c, by: d.ship_replacement(
        c,
        rma_number=latest_rma(d, c),
        service_level=ServiceLevel.STANDARD,
        tracking="1Z999",
        paid_by=Payer.COMPANY,
        by=by or AGENT,
        occurred_at=T,
    ),
    "RmaRejected": lambda d, c, by: d.reject_rma(
        c, rma_number=latest_rma(d, c), reason="never sent", by=by or AGENT, occurred_at=T
    ),
    "RmaClosed": lambda d, c, by: d.close_rma(
        c, rma_number=latest_rma(d, c), by=by or AGENT, occurred_at=T
    ),
    "PaymentRecorded": lambda d, c, by: d.record_payment(
        c, amount=eur("20.00"), reference="ORD-2", by=by or AGENT, occurred_at=T
    ),
    "RefundRequested": lambda d, c, by: d.request_refund(
        c, amount=eur("10.00"), reason="changed mind", by=by or AGENT, occurred_at=T
    ),
    "RefundIssued": lambda d, c, by: d.issue_refund(
        c, amount=eur("10.00"), reason="changed mind", by=by or AGENT, occurred_at=T
    ),
    "RefundDenied": lambda d, c, by: d.deny_refund(
        c, reason="no refund owed", by=by or AGENT, occurred_at=T
    ),
    "HoldPlaced": lambda d, c, by: d.place_hold(
        c,
        amount=eur("5.00"),
        account="checking ****1234",
        reference="HOLD-2",
        reason="pending charge",
        by=by or AGENT,
        occurred_at=T,
    ),
    "HoldReleased": lambda d, c, by: d.release_hold(
        c, reference="HOLD-1", amount=eur("10.00"), reason="released", by=by or AGENT, occurred_at=T
    ),
    "CreditIssued": lambda d, c, by: d.issue_credit(
        c, amount=eur("10.00"), reason="apology", by=by or AGENT, occurred_at=T
    ),
    "CancellationRequested": lambda d, c, by: d.request_cancellation(
        c, subscription="SUB-1", reason="too expensive", by=by or AGENT, occurred_at=T
    ),
    "CancellationCompleted": lambda d, c, by: d.complete_cancellation(
        c, subscription="SUB-1", effective_on=date(2026, 10, 1), by=by or AGENT, occurred_at=T
    ),
}
"""lifecycle key -> a valid command recording an event with that key (``by`` optional)."""

WRITE_KEYS = tuple(key for key in TRANSITIONS if key != "CaseOpened")
"""Every lifecycle key recorded on an existing case."""


def event_name(key: str) -> str:
    """The event type a lifecycle key belongs to: 'ContactLogged (inbound)' -> 'ContactLogged'."""
    return key.split(" (")[0]


RULE_REFUSALS: dict[tuple[str, Status], type[Exception]] = {
    # Rules 2: the table allows closing an RMA in AWAITING_RETURN (cases held to rules 1
    # did so), but the goods have not arrived: it is rejected, not closed.
    ("RmaClosed", Status.AWAITING_RETURN): ReturnNotReceived,
}
"""(lifecycle key, status) -> a rule of rules 2 that refuses, on the case :func:`drive_to`
brings there, a command the table allows."""


def home_status(key: str) -> Status:
    """The first status (in declaration order) where the table allows ``key`` and no
    rule refuses it (:data:`RULE_REFUSALS`)."""
    return next(s for s in Status if s in TRANSITIONS[key] and (key, s) not in RULE_REFUSALS)
