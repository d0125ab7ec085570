"""Hypothesis strategies for case histories that a desk accepts, built by construction.

:func:`histories` generates a :class:`History`: the arguments of ``open_case`` and a list
of :class:`Command` that a :class:`~casehistory.CaseDesk` accepts one after the other.
Each next command is drawn only from those that :data:`casehistory.TRANSITIONS`, the
rights table and the ledger allow in the state reached so far. That state is tracked in
a small, independent :class:`Model` (status by the table; ledger, holds, escalations,
RMAs and policy facts by hand), so nothing is filtered after the fact: every drawn
history is valid, and ``History.model`` says what the desk must answer at its end.
:func:`refusals` adds one command that the rules refuse, with the error it must raise.

All 33 commands after ``open_case`` are drawn, with the actors of :data:`CAST`: money
(payments, refunds up to what was paid, holds and releases up to what is held, credits
and goodwill above the agent limit by a supervisor), escalations (decided by an allowed
role, never the requester), RMAs through every stage, close and reopen. Amounts have two
decimal places; business times lie in 2026 before the clock's start (2026-11-01 UTC), in
several time zones; texts are any non-blank unicode (no surrogates).

Shrinking: histories shrink towards fewer commands and, command by command, towards the
first command of the enabled list (a note) with the simplest arguments.

Caveats: the model hard-codes the default policies (30-day return window, 365-day
warranty, 50.00 goodwill limit); use a desk opened with default ``Policies``, e.g.
:func:`new_desk`. Policy decisions (``check_entitlement``, and refunds or warranty repairs
where no decision was recorded yet) count on the business date in the event's own time
zone, as the desk does, and the decision used is recorded for later commands.

Example::

    @given(histories())
    def test_status_follows_the_table(history):
        desk = new_desk()
        case_id = history.apply(desk)
        assert desk.case(case_id).status is history.model.status
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from casehistory import (
    TRANSITIONS,
    Actor,
    CancellationNotRequested,
    CaseDesk,
    Channel,
    ComplaintCategory,
    CurrencyMismatch,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    EntitlementKind,
    EscalationAlreadyPending,
    EscalationNotPending,
    EscalationTarget,
    Fault,
    GoodwillAboveLimit,
    GoodwillKind,
    HoldNotFound,
    InspectionOutcome,
    InvalidInput,
    LinkKind,
    Money,
    NoRefundRequested,
    NotAuthorised,
    OccurredInFuture,
    Payer,
    Product,
    ProductRequired,
    RefundExceedsPaid,
    ReleaseExceedsHold,
    RepairCoverage,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
    RmaStage,
    Role,
    ServiceLevel,
    Status,
    SteppingClock,
    TransitionNotAllowed,
)
from casehistory.domain.rights import APPROVERS, RIGHTS, SUPERVISOR_OR_ABOVE

__all__ = [
    "CAST",
    "CLOCK_START",
    "CURRENCIES",
    "Command",
    "History",
    "Model",
    "Refusal",
    "histories",
    "identical",
    "long_histories",
    "money",
    "new_desk",
    "refusals",
]

CLOCK_START = datetime(2026, 11, 1, tzinfo=UTC)
"""Where the desks' clocks start: after every business time drawn here."""

CURRENCIES = ("USD", "EUR", "JPY")
GOODWILL_LIMIT = Decimal("50.00")
RETURN_WINDOW_DAYS = 30
WARRANTY_DAYS = 365
FIRST_DEPARTMENT = "Customer Service"
DEPARTMENTS = (FIRST_DEPARTMENT, "Purchasing", "Billing", "Repairs")
SUBSCRIPTIONS = ("care plan", "cloud backup")
_EXCEPTIONS = (EscalationTarget.SUPERVISOR, EscalationTarget.MANAGER)  # approvals that stand

AGENT = Actor("a.lee", Role.AGENT)
SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)
CUSTOMER = Actor("c.dana", Role.CUSTOMER)
AUDITOR = Actor("au.reyes", Role.AUDITOR)
CAST: tuple[Actor, ...] = (
    AGENT,
    Actor("b.ng", Role.AGENT),
    SUPERVISOR,
    Actor("m.ortiz", Role.MANAGER),
    Actor("m.diaz", Role.MANAGER),  # a second manager: escalations to MANAGER always decidable
    Actor("sys.router", Role.SYSTEM),
    Actor("v.acme", Role.VENDOR),
    CUSTOMER,
    AUDITOR,
)
"""Everyone who may appear as ``by``; commands draw from those the rights allow."""

_ZONES = (UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)))
_ZONES += (ZoneInfo("Europe/Berlin"),)


def new_desk(location: str = ":memory:") -> CaseDesk:
    """A desk with default policies and its own SteppingClock from :data:`CLOCK_START`."""
    return CaseDesk.open(location, clock=SteppingClock(CLOCK_START))


# Values --------------------------------------------------------------------------------

texts = st.text(min_size=1, max_size=12).filter(str.strip)
occurred_times = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2026, 10, 30),
    timezones=st.sampled_from(_ZONES),
    allow_imaginary=False,
)


def money(
    currencies: Iterable[str] = CURRENCIES,
    *,
    at_least: Decimal = Decimal("0.01"),
    at_most: Decimal = Decimal("10000.00"),
) -> st.SearchStrategy[Money]:
    """Money with two decimal places between ``at_least`` and ``at_most``."""
    cents = st.integers(int(at_least * 100), int(at_most * 100))
    return st.builds(
        lambda currency, n: Money(Decimal(n).scaleb(-2), currency),
        st.sampled_from(tuple(currencies)),
        cents,
    )


@st.composite
def products(draw: st.DrawFn) -> Product:
    purchased = draw(st.dates(date(2025, 6, 1), date(2026, 10, 1)))
    delivered = draw(st.none() | st.integers(0, 10).map(lambda d: purchased + timedelta(d)))
    return Product(
        sku=draw(texts),
        name=draw(texts),
        purchased_on=purchased,
        price=draw(money()),
        serial=draw(st.none() | texts),
        order_id=draw(st.none() | texts),
        delivered_on=delivered,
    )


customers = st.builds(Customer, id=texts, name=texts, email=st.none() | texts)


# Commands and the model ------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One desk command: ``desk.<method>(case_id, **kwargs)``."""

    method: str
    kwargs: Mapping[str, Any]

    def __call__(self, desk: CaseDesk, case_id: UUID) -> None:
        getattr(desk, self.method)(case_id, **self.kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.method}({args})"


@dataclass
class Model:
    """What the case must be after the commands drawn so far."""

    status: Status = Status.NEW
    version: int = 1
    product: Product | None = None
    department: str = FIRST_DEPARTMENT
    fault: Fault = Fault.UNDETERMINED
    known_issue: bool = False
    # The latest decision of each kind: (the business date it is for, entitled).
    window_entitled: tuple[date, bool] | None = None
    warranty_entitled: tuple[date, bool] | None = None
    refund_requested: bool = False
    cancellations: set[str] = field(default_factory=set)  # requested, not yet completed
    ledger: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    holds: dict[str, Money] = field(default_factory=dict)  # reference -> still held
    escalations: list[dict[str, Any]] = field(default_factory=list)
    rmas: dict[str, dict[str, Any]] = field(default_factory=dict)

    def total(self, column: str, currency: str) -> Decimal:
        return self.ledger.get(currency, {}).get(column, Decimal(0))

    def add(self, column: str, amount: Money) -> None:
        columns = self.ledger.setdefault(amount.currency, {})
        columns[column] = columns.get(column, Decimal(0)) + amount.amount

    def refundable(self, currency: str) -> Decimal:
        return self.total("paid", currency) - self.total("refunded", currency)

    @property
    def pending(self) -> dict[str, Any] | None:
        last = self.escalations[-1] if self.escalations else None
        return last if last and last["outcome"] == "PENDING" else None

    def approved(self, *targets: EscalationTarget) -> bool:
        return any(e["outcome"] == "APPROVED" and e["to"] in targets for e in self.escalations)

    def rmas_at(self, *stages: RmaStage) -> list[str]:
        return [n for n, rma in self.rmas.items() if rma["stage"] in stages]

    def allows(self, key: str) -> bool:
        return self.status in TRANSITIONS[key]


@dataclass
class History:
    """A case to open, and the commands that follow; ``model`` is where they lead."""

    case_id: UUID
    other_case_id: UUID
    opening: dict[str, Any]
    commands: list[Command] = field(default_factory=list)
    model: Model = field(default_factory=Model)

    def open(self, desk: CaseDesk) -> UUID:
        """Open the other case (the target of links), then this case; return its id."""
        desk.open_case(
            customer=Customer("c.other", "Other"),
            subject="the other case",
            channel=Channel.EMAIL,
            by=AGENT,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            case_id=self.other_case_id,
        )
        return desk.open_case(case_id=self.case_id, **self.opening)

    def apply(
        self, desk: CaseDesk, after_each: Callable[[CaseDesk, UUID], None] | None = None
    ) -> UUID:
        """Open the case and run every command; ``after_each`` runs after each step."""
        case_id = self.open(desk)
        if after_each:
            after_each(desk, case_id)
        for command in self.commands:
            command(desk, case_id)
            if after_each:
                after_each(desk, case_id)
        return case_id

    def __repr__(self) -> str:
        lines = [f"History(case_id={self.case_id}, opening={self.opening!r})"]
        lines += [f"  {command!r}" for command in self.commands]
        return "\n".join(lines)


def _by(
    draw: st.DrawFn, event: str, *, only: Iterable[Role] | None = None, customer: bool = False
) -> Actor:
    roles = set(RIGHTS[event]) & set(only if only is not None else Role)
    if not customer:
        roles.discard(Role.CUSTOMER)
    return draw(st.sampled_from([a for a in CAST if a.role in roles]))


def _new_name(prefix: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    return next(f"{prefix}-{n}" for n in range(1, len(taken) + 2) if f"{prefix}-{n}" not in taken)


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


# One builder per command. Each draws the arguments from the model, updates the model's
# facts (not its status: the caller applies the table) and returns (method, kwargs, key).

Built = tuple[str, dict[str, Any], str]


def _note(draw: st.DrawFn, m: Model) -> Built:
    return "add_note", {"text": draw(texts), "by": _by(draw, "NoteAdded")}, "NoteAdded"


def _contact(direction: Direction, awaiting: bool) -> Callable[[st.DrawFn, Model], Built]:
    key = {
        (Direction.INBOUND, False): "ContactLogged (inbound)",
        (Direction.OUTBOUND, False): "ContactLogged (outbound)",
        (Direction.OUTBOUND, True): "ContactLogged (outbound, awaiting reply)",
    }[direction, awaiting]

    def build(draw: st.DrawFn, m: Model) -> Built:
        inbound = direction is Direction.INBOUND
        kwargs = {
            "channel": draw(st.sampled_from(Channel)),
            "direction": direction,
            "summary": draw(texts),
            "demeanour": draw(st.none() | st.sampled_from(Demeanour)),
            "by": _by(draw, "ContactLogged", customer=inbound),
            "awaiting_reply": awaiting,
        }
        return "log_contact", kwargs, key

    return build


def _complaint(draw: st.DrawFn, m: Model) -> Built:
    kwargs = {
        "category": draw(st.sampled_from(ComplaintCategory)),
        "details": draw(texts),
        "by": _by(draw, "ComplaintRecorded"),
    }
    return "record_complaint", kwargs, "ComplaintRecorded"


def _commendation(draw: st.DrawFn, m: Model) -> Built:
    kwargs = {
        "agent_id": AGENT.id,
        "source": draw(st.sampled_from([CUSTOMER, SUPERVISOR])),
        "text": draw(texts),
        "by": _by(draw, "CommendationRecorded"),
    }
    return "record_commendation", kwargs, "CommendationRecorded"


def _assign(draw: st.DrawFn, m: Model) -> Built:
    agent = draw(st.sampled_from([a for a in CAST if a.role in {Role.AGENT, *SUPERVISOR_OR_ABOVE}]))
    return "assign_agent", {"agent": agent, "by": _by(draw, "AgentAssigned")}, "AgentAssigned"


def _transfer(draw: st.DrawFn, m: Model) -> Built:
    to = draw(st.sampled_from([d for d in DEPARTMENTS if d != m.department]))
    m.department = to
    kwargs = {"to_department": to, "reason": draw(texts), "by": _by(draw, "CaseTransferred")}
    return "transfer_case", kwargs, "CaseTransferred"


def _link(other_case_id: UUID) -> Callable[[st.DrawFn, Model], Built]:
    def build(draw: st.DrawFn, m: Model) -> Built:
        kwargs = {
            "other_case_id": other_case_id,
            "relation": draw(st.sampled_from(LinkKind)),
            "by": _by(draw, "CasesLinked"),
        }
        return "link_cases", kwargs, "CasesLinked"

    return build


def _resolve(draw: st.DrawFn, m: Model) -> Built:
    m.fault = draw(st.sampled_from(Fault))
    kwargs = {"resolution": draw(texts), "fault": m.fault, "by": _by(draw, "CaseResolved")}
    return "resolve_case", kwargs, "CaseResolved"


def _close(draw: st.DrawFn, m: Model) -> Built:
    return "close_case", {"by": _by(draw, "CaseClosed")}, "CaseClosed"


def _reopen(draw: st.DrawFn, m: Model) -> Built:
    return "reopen_case", {"reason": draw(texts), "by": _by(draw, "CaseReopened")}, "CaseReopened"


def _diagnosis(draw: st.DrawFn, m: Model) -> Built:
    m.fault = draw(st.sampled_from(Fault))
    known = draw(st.none() | texts)
    m.known_issue = m.known_issue or known is not None
    kwargs = {
        "symptom": draw(texts),
        "finding": draw(texts),
        "root_cause": draw(texts),
        "fault": m.fault,
        "known_issue": known,
        "by": _by(draw, "DiagnosisRecorded"),
    }
    return "record_diagnosis", kwargs, "DiagnosisRecorded"


def _remediation(draw: st.DrawFn, m: Model) -> Built:
    kwargs = {"action": draw(texts), "by": _by(draw, "RemediationPerformed")}
    return "record_remediation", kwargs, "RemediationPerformed"


_DAYS = {EntitlementKind.RETURN_WINDOW: RETURN_WINDOW_DAYS, EntitlementKind.WARRANTY: WARRANTY_DAYS}


def _entitled(m: Model, kind: EntitlementKind, on: datetime) -> bool | None:
    """The decision of ``kind`` recorded for the business date of ``on``; else the default
    policy's decision on that date (in its own zone), counted from delivery where known;
    else None (no product)."""
    recorded = m.window_entitled if kind is EntitlementKind.RETURN_WINDOW else m.warranty_entitled
    if recorded is not None and recorded[0] == on.date():
        return recorded[1]
    if m.product is None:
        return None
    return (on.date() - m.product.start_of_cover).days <= _DAYS[kind]


def _entitlement(draw: st.DrawFn, m: Model) -> Built:
    kind = draw(st.sampled_from([EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY]))
    by = _by(draw, "EntitlementChecked")
    on: datetime = draw.occurred_at  # type: ignore[attr-defined]
    assert m.product is not None  # the command is drawn only for cases with a product
    decided = (on.date(), (on.date() - m.product.start_of_cover).days <= _DAYS[kind])
    if kind is EntitlementKind.RETURN_WINDOW:
        m.window_entitled = decided
    else:
        m.warranty_entitled = decided
    return "check_entitlement", {"kind": kind, "by": by}, "EntitlementChecked"


def _request_escalation(draw: st.DrawFn, m: Model) -> Built:
    to = draw(st.sampled_from(EscalationTarget))
    by = _by(draw, "EscalationRequested")
    m.escalations.append({"to": to, "requested_by": by, "outcome": "PENDING"})
    kwargs = {"to": to, "reason": draw(texts), "by": by}
    return "request_escalation", kwargs, "EscalationRequested"


def _decide(approve: bool) -> Callable[[st.DrawFn, Model], Built]:
    event = "EscalationApproved" if approve else "EscalationDenied"

    def build(draw: st.DrawFn, m: Model) -> Built:
        pending = m.pending
        assert pending is not None
        deciders = [
            a
            for a in CAST
            if a.role in APPROVERS[pending["to"]] & RIGHTS[event]
            and a.id != pending["requested_by"].id
        ]
        pending["outcome"] = "APPROVED" if approve else "DENIED"
        kwargs = {"reason": draw(texts), "by": draw(st.sampled_from(deciders))}
        return ("approve_escalation" if approve else "deny_escalation"), kwargs, event

    return build


def _goodwill(draw: st.DrawFn, m: Model) -> Built:
    value = draw(money(at_most=Decimal("120.00")))
    above = value.amount > GOODWILL_LIMIT
    m.add("goodwill", value)
    kwargs = {
        "kind": draw(st.sampled_from(GoodwillKind)),
        "value": value,
        "reason": draw(texts),
        "by": _by(draw, "GoodwillGranted", only=SUPERVISOR_OR_ABOVE if above else None),
    }
    return "grant_goodwill", kwargs, "GoodwillGranted"


def _issue_rma(draw: st.DrawFn, m: Model) -> Built:
    number = _new_name("RMA", m.rmas)
    payer = Payer.COMPANY if m.fault in (Fault.OURS, Fault.VENDOR) else Payer.CUSTOMER
    m.rmas[number] = {"stage": RmaStage.ISSUED, "payer": payer, "inspection": None}
    kwargs = {
        "rma_number": number,
        "items": draw(texts),
        "reason": draw(texts),
        "disposition": draw(st.sampled_from(Disposition)),
        "by": _by(draw, "RmaIssued"),
    }
    return "issue_rma", kwargs, "RmaIssued"


def _receive(draw: st.DrawFn, m: Model) -> Built:
    number = draw(st.sampled_from(m.rmas_at(RmaStage.ISSUED)))
    m.rmas[number]["stage"] = RmaStage.RECEIVED
    kwargs = {"rma_number": number, "condition": draw(texts), "by": _by(draw, "ReturnReceived")}
    return "receive_return", kwargs, "ReturnReceived"


def _inspect(draw: st.DrawFn, m: Model) -> Built:
    number = draw(st.sampled_from(m.rmas_at(RmaStage.RECEIVED)))
    outcome = draw(st.sampled_from(InspectionOutcome))
    m.rmas[number]["inspection"] = outcome
    kwargs = {
        "rma_number": number,
        "outcome": outcome,
        "findings": draw(texts),
        "by": _by(draw, "InspectionCompleted"),
    }
    return "complete_inspection", kwargs, "InspectionCompleted"


def _coverages(m: Model, on: datetime) -> list[RepairCoverage]:
    """Who may cover a repair done ``on``: warranty needs the product, and in warranty or
    an approved escalation (not to LEGAL); the vendor a known issue or its approval."""
    covered = [RepairCoverage.GOODWILL, RepairCoverage.CUSTOMER]
    warranty = _entitled(m, EntitlementKind.WARRANTY, on)
    if warranty or (warranty is False and m.approved(*_EXCEPTIONS, EscalationTarget.VENDOR)):
        covered.append(RepairCoverage.WARRANTY)
    if m.known_issue or m.approved(EscalationTarget.VENDOR):
        covered.append(RepairCoverage.VENDOR)
    return covered


def _repair(draw: st.DrawFn, m: Model) -> Built:
    on: datetime = draw.occurred_at  # type: ignore[attr-defined]
    covered_by = draw(st.sampled_from(_coverages(m, on)))
    if covered_by is RepairCoverage.WARRANTY:  # the repair records the decision it used
        entitled = _entitled(m, EntitlementKind.WARRANTY, on)
        m.warranty_entitled = None if entitled is None else (on.date(), entitled)
    kwargs = {
        "rma_number": draw(st.sampled_from(m.rmas_at(RmaStage.RECEIVED))),
        "work_done": draw(texts),
        "covered_by": covered_by,
        "cost": draw(st.none() | money()),
        "by": _by(draw, "RepairCompleted"),
    }
    return "complete_repair", kwargs, "RepairCompleted"


def _ship(draw: st.DrawFn, m: Model) -> Built:
    kwargs = {
        "rma_number": draw(st.sampled_from(m.rmas_at(RmaStage.ISSUED, RmaStage.RECEIVED))),
        "service_level": draw(st.sampled_from(ServiceLevel)),
        "tracking": draw(texts),
        "paid_by": draw(st.sampled_from(Payer)),
        "by": _by(draw, "ReplacementShipped"),
    }
    return "ship_replacement", kwargs, "ReplacementShipped"


def _end_rma(reject: bool) -> Callable[[st.DrawFn, Model], Built]:
    def build(draw: st.DrawFn, m: Model) -> Built:
        number = draw(st.sampled_from(m.rmas_at(RmaStage.ISSUED, RmaStage.RECEIVED)))
        if reject:
            m.rmas[number]["stage"] = RmaStage.REJECTED
            kwargs = {"rma_number": number, "reason": draw(texts), "by": _by(draw, "RmaRejected")}
            return "reject_rma", kwargs, "RmaRejected"
        m.rmas[number]["stage"] = RmaStage.CLOSED
        kwargs = {"rma_number": number, "note": draw(texts), "by": _by(draw, "RmaClosed")}
        return "close_rma", kwargs, "RmaClosed"

    return build


def _payment(draw: st.DrawFn, m: Model) -> Built:
    amount = draw(money())
    m.add("paid", amount)
    kwargs = {"amount": amount, "reference": draw(texts), "by": _by(draw, "PaymentRecorded")}
    return "record_payment", kwargs, "PaymentRecorded"


def _request_refund(draw: st.DrawFn, m: Model) -> Built:
    m.refund_requested = True
    kwargs = {"amount": draw(money()), "reason": draw(texts), "by": _by(draw, "RefundRequested")}
    return "request_refund", kwargs, "RefundRequested"


def _refund(draw: st.DrawFn, m: Model) -> Built:
    currency = draw(st.sampled_from([c for c in CURRENCIES if m.refundable(c) > 0]))
    amount = draw(money([currency], at_most=m.refundable(currency)))
    m.add("refunded", amount)
    m.refund_requested = False
    # Past the return window (recorded, or decided now from the product) only a supervisor
    # or above refunds, unless an approved escalation stands for the exception.
    window = _entitled(m, EntitlementKind.RETURN_WINDOW, draw.occurred_at)  # type: ignore[attr-defined]
    exception = window is False and not m.approved(*_EXCEPTIONS)
    if window is not None:  # the refund records the decision it used
        m.window_entitled = (draw.occurred_at.date(), window)  # type: ignore[attr-defined]
    only = SUPERVISOR_OR_ABOVE if exception else None
    kwargs = {"amount": amount, "reason": draw(texts), "by": _by(draw, "RefundIssued", only=only)}
    return "issue_refund", kwargs, "RefundIssued"


def _deny_refund(draw: st.DrawFn, m: Model) -> Built:
    m.refund_requested = False
    return "deny_refund", {"reason": draw(texts), "by": _by(draw, "RefundDenied")}, "RefundDenied"


def _hold(draw: st.DrawFn, m: Model) -> Built:
    amount = draw(money(at_most=Decimal("9000.00")))
    reference = _new_name("HOLD", m.holds)
    m.holds[reference] = amount
    m.add("held", amount)
    kwargs = {
        "amount": amount,
        "account": draw(texts),
        "reference": reference,
        "reason": draw(texts),
        "by": _by(draw, "HoldPlaced"),
    }
    return "place_hold", kwargs, "HoldPlaced"


def _release(draw: st.DrawFn, m: Model) -> Built:
    reference = draw(st.sampled_from([r for r, left in m.holds.items() if left.amount > 0]))
    left = m.holds[reference]
    amount = draw(
        st.just(left) | money([left.currency], at_most=left.amount)  # in full, or in part
    )
    m.holds[reference] = left - amount
    m.add("released", amount)
    kwargs = {
        "reference": reference,
        "amount": amount,
        "reason": draw(texts),
        "by": _by(draw, "HoldReleased"),
    }
    return "release_hold", kwargs, "HoldReleased"


def _credit(draw: st.DrawFn, m: Model) -> Built:
    amount = draw(money(at_most=Decimal("120.00")))
    above = amount.amount > GOODWILL_LIMIT
    m.add("credited", amount)
    kwargs = {
        "amount": amount,
        "reason": draw(texts),
        "by": _by(draw, "CreditIssued", only=SUPERVISOR_OR_ABOVE if above else None),
    }
    return "issue_credit", kwargs, "CreditIssued"


def _request_cancellation(draw: st.DrawFn, m: Model) -> Built:
    subscription = draw(st.sampled_from(SUBSCRIPTIONS) | texts)
    m.cancellations.add(subscription)
    kwargs = {
        "subscription": subscription,
        "reason": draw(texts),
        "by": _by(draw, "CancellationRequested"),
    }
    return "request_cancellation", kwargs, "CancellationRequested"


def _complete_cancellation(draw: st.DrawFn, m: Model) -> Built:
    subscription = draw(st.sampled_from(sorted(m.cancellations)))
    m.cancellations.discard(subscription)
    kwargs = {
        "subscription": subscription,
        "effective_on": draw(st.dates(date(2026, 1, 1), date(2027, 12, 31))),
        "by": _by(draw, "CancellationCompleted"),
    }
    return "complete_cancellation", kwargs, "CancellationCompleted"


@dataclass(frozen=True)
class _Spec:
    key: str
    build: Callable[[st.DrawFn, Model], Built]
    ready: Callable[[Model], bool] = lambda m: True
    table_only: bool = False  # True: the table is the only rule; refused just by status
    weight: int = 1  # how many tickets in the draw: moves the case on through its lifecycle


def _specs(other_case_id: UUID) -> tuple[_Spec, ...]:
    """Every command; the simplest first (Hypothesis shrinks towards the first)."""
    rma_open = lambda m: bool(m.rmas_at(RmaStage.ISSUED, RmaStage.RECEIVED))
    return (
        _Spec("NoteAdded", _note, table_only=True),
        _Spec("ContactLogged (inbound)", _contact(Direction.INBOUND, False), table_only=True),
        _Spec("ContactLogged (outbound)", _contact(Direction.OUTBOUND, False), table_only=True),
        _Spec(
            "ContactLogged (outbound, awaiting reply)",
            _contact(Direction.OUTBOUND, True),
            table_only=True,
        ),
        _Spec("ComplaintRecorded", _complaint, table_only=True),
        _Spec("CommendationRecorded", _commendation, table_only=True),
        _Spec("AgentAssigned", _assign, table_only=True, weight=3),
        _Spec("CaseTransferred", _transfer, table_only=True),
        _Spec("CasesLinked", _link(other_case_id), table_only=True),
        _Spec("CaseResolved", _resolve, table_only=True, weight=2),
        _Spec("CaseClosed", _close, table_only=True, weight=2),
        _Spec("CaseReopened", _reopen, table_only=True, weight=2),
        _Spec("DiagnosisRecorded", _diagnosis, table_only=True),
        _Spec("RemediationPerformed", _remediation, table_only=True),
        _Spec("EntitlementChecked", _entitlement, lambda m: m.product is not None, weight=2),
        _Spec("EscalationRequested", _request_escalation, table_only=True, weight=2),
        _Spec("EscalationApproved", _decide(True), lambda m: m.pending is not None, weight=3),
        _Spec("EscalationDenied", _decide(False), lambda m: m.pending is not None, weight=2),
        _Spec("GoodwillGranted", _goodwill, table_only=True),
        _Spec("RmaIssued", _issue_rma, table_only=True, weight=2),
        _Spec("ReturnReceived", _receive, lambda m: bool(m.rmas_at(RmaStage.ISSUED)), weight=3),
        _Spec(
            "InspectionCompleted", _inspect, lambda m: bool(m.rmas_at(RmaStage.RECEIVED)), weight=2
        ),
        _Spec("RepairCompleted", _repair, lambda m: bool(m.rmas_at(RmaStage.RECEIVED)), weight=3),
        _Spec("ReplacementShipped", _ship, rma_open, weight=2),
        _Spec("RmaRejected", _end_rma(True), rma_open, weight=2),
        _Spec("RmaClosed", _end_rma(False), rma_open, weight=2),
        _Spec("PaymentRecorded", _payment, table_only=True),
        _Spec("RefundRequested", _request_refund, table_only=True),
        _Spec(
            "RefundIssued",
            _refund,
            lambda m: any(m.refundable(c) > 0 for c in CURRENCIES),
            weight=3,
        ),
        _Spec("RefundDenied", _deny_refund, lambda m: m.refund_requested, weight=2),
        _Spec("HoldPlaced", _hold, table_only=True),
        _Spec(
            "HoldReleased",
            _release,
            lambda m: any(h.amount > 0 for h in m.holds.values()),
            weight=3,
        ),
        _Spec("CreditIssued", _credit, table_only=True),
        _Spec("CancellationRequested", _request_cancellation, table_only=True),
        _Spec("CancellationCompleted", _complete_cancellation, lambda m: bool(m.cancellations)),
    )


class _TimedDraw:
    """A draw function that also carries the business time drawn for this command."""

    def __init__(self, draw: st.DrawFn, occurred_at: datetime) -> None:
        self._draw = draw
        self.occurred_at = occurred_at

    def __call__(self, strategy: st.SearchStrategy[Any], label: Any = None) -> Any:
        return self._draw(strategy, label)


def _enabled(specs: Iterable[_Spec], m: Model) -> list[_Spec]:
    return [s for s in specs if m.allows(s.key) and s.ready(m)]


def _next(draw: st.DrawFn, history: History, only: frozenset[str] | None = None) -> Command:
    """Draw one command that the desk must accept, and advance the model."""
    m = history.model
    enabled = _enabled(_specs(history.other_case_id), m)
    preferred = [s for s in enabled if only is None or s.key in only]
    spec = draw(st.sampled_from([s for s in preferred or enabled for _ in range(s.weight)]))
    timed = _TimedDraw(draw, draw(occurred_times))
    method, kwargs, key = spec.build(timed, m)  # type: ignore[arg-type]
    m.status = TRANSITIONS[key][m.status]
    m.version += 1
    command = Command(method, {**kwargs, "occurred_at": timed.occurred_at})
    history.commands.append(command)
    return command


@st.composite
def _openings(draw: st.DrawFn) -> History:
    product = draw(st.none() | products())
    opening = {
        "customer": draw(customers),
        "subject": draw(texts),
        "channel": draw(st.sampled_from(Channel)),
        "by": _by(draw, "CaseOpened"),
        "occurred_at": draw(occurred_times),
        "product": product,
    }
    case_id, other = draw(st.lists(st.uuids(), min_size=2, max_size=2, unique=True))
    return History(case_id, other, opening, model=Model(product=product))


@st.composite
def histories(draw: st.DrawFn, min_steps: int = 0, max_steps: int = 30) -> History:
    """A case opened with random facts and ``min_steps``..``max_steps`` valid commands."""
    history = draw(_openings())
    for _ in range(draw(st.integers(min_steps, max_steps))):
        _next(draw, history)
    return history


_PADDING = frozenset({"NoteAdded", "ContactLogged (inbound)", "ContactLogged (outbound)"})


@st.composite
def long_histories(draw: st.DrawFn, min_padding: int = 50, max_padding: int = 120) -> History:
    """Histories that cross snapshot intervals: some commands, then ``min_padding`` to
    ``max_padding`` notes and contacts (or whatever the status allows), then some more."""
    history = draw(histories(0, 10))
    for _ in range(draw(st.integers(min_padding, max_padding))):
        _next(draw, history, only=_PADDING)
    for _ in range(draw(st.integers(0, 10))):
        _next(draw, history)
    return history


# Refusals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A command the desk must refuse, with the errors that may name the rule it breaks."""

    command: Command
    expected: tuple[type[Exception], ...]
    rule: str


def _refused_by_table(draw: st.DrawFn, history: History) -> Refusal:
    m = copy.deepcopy(history.model)
    forbidden = [s for s in _specs(history.other_case_id) if s.table_only and not m.allows(s.key)]
    spec = draw(st.sampled_from(forbidden))
    timed = _TimedDraw(draw, draw(occurred_times))
    method, kwargs, key = spec.build(timed, m)  # type: ignore[arg-type]
    expected: tuple[type[Exception], ...] = (TransitionNotAllowed,)
    if key == "EscalationRequested":  # one at a time is checked before the table
        expected += (EscalationAlreadyPending,)
    command = Command(method, {**kwargs, "occurred_at": timed.occurred_at})
    return Refusal(command, expected, f"lifecycle table: {key} in {m.status.name}")


@st.composite
def _refusal(draw: st.DrawFn, history: History) -> Refusal:
    m = history.model
    closed = m.status is Status.CLOSED
    when = draw(occurred_times)
    note = {"text": "x", "occurred_at": when}
    rules = ["auditor", "customer", "table", "naive time", "future"]
    rare: list[str] = []  # rules that only some states can break: drawn more often
    if m.allows("RefundIssued"):
        rules += ["goodwill above limit", "credit above limit"]
        rare.append("refund beyond paid")
    if m.allows("RefundDenied") and not m.refund_requested:
        rules.append("deny without request")
    if m.allows("HoldReleased"):
        rules.append("release unknown hold")
        rare += ["release beyond hold", "hold reused"] if m.holds else []
    if m.allows("CaseTransferred"):
        rules.append("transfer to same department")
    if m.allows("CancellationCompleted"):
        rules.append("cancellation never requested")
    if not closed:
        rules += ["rma unknown", "decide nothing pending"]
        rare += ["rma out of order"] if m.rmas else []
        rules += ["entitlement without product"] if m.product is None else []
    if m.pending is not None:
        rare.append("decide own escalation")
    if m.status is Status.IN_SERVICE and m.rmas_at(RmaStage.RECEIVED):
        rare += ["repair not covered"] if len(_coverages(m, when)) < 4 else []
    rule = draw(st.sampled_from(rules + rare * 4))
    supervisor = {"by": SUPERVISOR, "occurred_at": when}

    def refusal(method: str, kwargs: dict[str, Any], *expected: type[Exception]) -> Refusal:
        return Refusal(Command(method, kwargs), expected, rule)

    if rule == "auditor":
        method, kwargs = draw(
            st.sampled_from(
                [
                    ("add_note", {"text": "x"}),
                    ("record_payment", {"amount": Money("1.00", "USD"), "reference": "r"}),
                    ("close_case", {}),
                    ("reopen_case", {"reason": "r"}),
                ]
            )
        )
        return refusal(method, {**kwargs, "by": AUDITOR, "occurred_at": when}, NotAuthorised)
    if rule == "customer":
        method, kwargs = draw(
            st.sampled_from(
                [
                    ("add_note", {"text": "x"}),
                    ("resolve_case", {"resolution": "r", "fault": Fault.NONE}),
                    (
                        "log_contact",
                        {
                            "channel": Channel.PHONE,
                            "direction": Direction.OUTBOUND,
                            "summary": "s",
                            "demeanour": Demeanour.CALM,
                        },
                    ),
                ]
            )
        )
        return refusal(method, {**kwargs, "by": CUSTOMER, "occurred_at": when}, NotAuthorised)
    if rule == "table":
        return _refused_by_table(draw, history)
    if rule == "naive time":
        return refusal(
            "add_note", {**note, "by": AGENT, "occurred_at": datetime(2026, 3, 1)}, InvalidInput
        )
    if rule == "future":
        late = CLOCK_START + timedelta(days=draw(st.integers(400, 4000)))
        return refusal("add_note", {**note, "by": AGENT, "occurred_at": late}, OccurredInFuture)
    if rule == "refund beyond paid":
        currency = draw(st.sampled_from(CURRENCIES))
        over = m.refundable(currency) + Decimal(draw(st.integers(1, 10_000))).scaleb(-2)
        kwargs = {"amount": Money(over, currency), "reason": "r", **supervisor}
        return refusal("issue_refund", kwargs, RefundExceedsPaid)
    if rule in ("goodwill above limit", "credit above limit"):
        value = draw(money(at_least=GOODWILL_LIMIT + Decimal("0.01"), at_most=Decimal("999")))
        if rule == "credit above limit":
            kwargs = {"amount": value, "reason": "r", "by": AGENT, "occurred_at": when}
            return refusal("issue_credit", kwargs, GoodwillAboveLimit)
        kwargs = {"kind": GoodwillKind.CREDIT, "value": value, "reason": "r", "by": AGENT}
        return refusal("grant_goodwill", {**kwargs, "occurred_at": when}, GoodwillAboveLimit)
    if rule == "deny without request":
        return refusal("deny_refund", {"reason": "r", **supervisor}, NoRefundRequested)
    if rule == "release beyond hold":
        reference = draw(st.sampled_from(sorted(m.holds)))
        left = m.holds[reference]
        over = left.amount + Decimal(draw(st.integers(1, 10_000))).scaleb(-2)
        other = next(c for c in CURRENCIES if c != left.currency)
        amount, error = draw(
            st.sampled_from(
                [
                    (Money(over, left.currency), ReleaseExceedsHold),
                    (Money(over, other), CurrencyMismatch),
                ]
            )
        )
        kwargs = {"reference": reference, "amount": amount, "reason": "r", **supervisor}
        return refusal("release_hold", kwargs, error)
    if rule == "release unknown hold":
        kwargs = {"reference": "NO-SUCH", "amount": Money("1.00", "USD"), "reason": "r"}
        return refusal("release_hold", {**kwargs, **supervisor}, HoldNotFound)
    if rule == "cancellation never requested":
        kwargs = {"subscription": "never asked", "effective_on": date(2026, 12, 1), **supervisor}
        return refusal("complete_cancellation", kwargs, CancellationNotRequested)
    if rule == "hold reused":
        kwargs = {"amount": Money("1.00", "USD"), "account": "acct", "reason": "r"}
        kwargs["reference"] = draw(st.sampled_from(sorted(m.holds)))
        return refusal("place_hold", {**kwargs, **supervisor}, InvalidInput)
    if rule == "transfer to same department":
        kwargs = {"to_department": m.department, "reason": "r", **supervisor}
        return refusal("transfer_case", kwargs, InvalidInput)
    if rule == "rma unknown":
        method = draw(st.sampled_from(["receive_return", "reject_rma", "close_rma"]))
        kwargs = {"rma_number": "RMA-404", **supervisor}
        kwargs.update({"reason": "r"} if method == "reject_rma" else {})
        return refusal(method, kwargs, RmaNotFound)
    if rule == "rma out of order":
        number = draw(st.sampled_from(sorted(m.rmas)))
        stage = m.rmas[number]["stage"]
        if stage is RmaStage.ISSUED:  # inspect before it arrived
            kwargs = {"rma_number": number, "outcome": InspectionOutcome.DAMAGED, "findings": "f"}
            return refusal("complete_inspection", {**kwargs, **supervisor}, RmaOutOfOrder)
        # receive again, or after the RMA ended
        return refusal("receive_return", {"rma_number": number, **supervisor}, RmaOutOfOrder)
    if rule == "entitlement without product":
        kwargs = {"kind": EntitlementKind.WARRANTY, **supervisor}
        return refusal("check_entitlement", kwargs, ProductRequired)
    if rule == "decide nothing pending":
        method = draw(st.sampled_from(["approve_escalation", "deny_escalation"]))
        kwargs = {"reason": "r", "by": Actor("m.diaz", Role.MANAGER), "occurred_at": when}
        if m.pending is not None:  # then the pending one is decidable: use a non-approver
            return refusal(method, {**kwargs, "by": AGENT}, NotAuthorised)
        return refusal(method, kwargs, EscalationNotPending)
    if rule == "decide own escalation":
        assert m.pending is not None
        method = draw(st.sampled_from(["approve_escalation", "deny_escalation"]))
        kwargs = {"reason": "r", "by": m.pending["requested_by"], "occurred_at": when}
        return refusal(method, kwargs, NotAuthorised)  # SelfApprovalForbidden is one
    assert rule == "repair not covered"
    uncovered = [c for c in RepairCoverage if c not in _coverages(m, when)]
    kwargs = {
        "rma_number": draw(st.sampled_from(m.rmas_at(RmaStage.RECEIVED))),
        "work_done": "w",
        "covered_by": draw(st.sampled_from(uncovered)),
    }
    return refusal("complete_repair", {**kwargs, **supervisor}, RepairNotCovered)


@st.composite
def refusals(draw: st.DrawFn) -> tuple[History, Refusal, Command]:
    """A valid history, a command the desk must refuse after it, and a valid next command."""
    history = draw(histories(2, 25))
    refused = draw(_refusal(history))
    follow_up = copy.deepcopy(history)
    return history, refused, _next(draw, follow_up)


# Comparing values --------------------------------------------------------------------------


def identical(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down: enum members not strings, Decimals
    with the same digits and exponent, datetimes at the same instant and UTC offset,
    tuples not lists."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, datetime):
        # The same instant at the same UTC offset. Not ``==``: by PEP 495 an ambiguous local
        # time (a DST fold) in one zone never equals a datetime in another tzinfo, and the
        # store gives back a fixed-offset datetime for any zone.
        return a.utcoffset() == b.utcoffset() and a.astimezone(UTC) == b.astimezone(UTC)
    if attrs.has(type(a)):
        return all(identical(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a)))
    if dataclasses.is_dataclass(a):
        return all(identical(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
