"""The event vocabulary: one class per fact, named in the past tense.

Events are frozen dataclasses made by eventsourcing. Every event carries the store
time ``timestamp`` (``recorded_at``), the business time ``occurred_at`` and the
``by`` actor. Their topics (``casehistory.domain.events:Name``) are written in the
store: a test pins them, and renaming or moving a class needs a registered topic.
A change of an event's fields raises its ``class_version`` and adds an upcaster from the
version before (``ReplacementShipped`` is at version 2): see docs/design.md, "How to
change an event".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, ProgrammingError

from casehistory.domain.policies import PolicyDecision
from casehistory.domain.sealed import Text
from casehistory.domain.sla import SlaTerms
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    ErasureGround,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Money,
    Payer,
    Product,
    RepairCoverage,
    ServiceLevel,
)
from casehistory.errors import StoreUnavailable

__all__ = [
    "EVENT_TYPES",
    "AgentAssigned",
    "CancellationCompleted",
    "CancellationRequested",
    "CaseClosed",
    "CaseEvent",
    "CaseOpened",
    "CaseReopened",
    "CaseResolved",
    "CaseTransferred",
    "CasesLinked",
    "CustomerForgotten",
    "PERSONAL",
    "PERSONAL_CUSTOMER_FIELDS",
    "CommendationRecorded",
    "ComplaintRecorded",
    "ContactLogged",
    "CreditIssued",
    "DiagnosisRecorded",
    "EntitlementChecked",
    "EscalationApproved",
    "EscalationDenied",
    "EscalationRequested",
    "GoodwillGranted",
    "HoldPlaced",
    "HoldReleased",
    "InspectionCompleted",
    "NoteAdded",
    "PaymentRecorded",
    "RefundDenied",
    "RefundIssued",
    "RefundRequested",
    "RemediationPerformed",
    "RepairCompleted",
    "ReplacementShipped",
    "ReturnReceived",
    "RmaClosed",
    "RmaIssued",
    "RmaRejected",
    "contact_lifecycle_key",
]


class CaseEvent(Aggregate.Event):
    """Base of every case event: who recorded it and when it happened in the world."""

    by: Actor
    occurred_at: datetime
    digest: str
    """SHA-256 (hex) chaining this event to its predecessor: see :mod:`casehistory.domain.chain`."""

    @property
    def recorded_at(self) -> datetime:
        """The store's time of recording (eventsourcing's ``timestamp``)."""
        return self.timestamp

    @property
    def case_id(self) -> UUID:
        return self.originator_id

    @property
    def lifecycle_key(self) -> str:
        """The row of the lifecycle table this event follows (usually its class name)."""
        return type(self).__name__

    @staticmethod
    def create_timestamp() -> datetime:
        # Store times come from the desk's injected clock, never from here.
        raise ProgrammingError("case events take their timestamp from the desk's clock")

    def apply(self, aggregate: Any) -> None:
        aggregate._evolve(self)


CASE_TOPIC = "casehistory.domain.case:Case"
"""The aggregate every ``CaseOpened`` creates (its ``originator_topic``)."""


class CaseOpened(CaseEvent, Aggregate.Created):
    customer: Customer
    subject: Text
    channel: Channel
    product: Product | None
    sla: SlaTerms | None = None
    """The SLA policy in force when the case opened (id, version, digest of its
    parameters). Recorded since 0.2.0: an older record has no ``sla`` key at all."""
    rules: int = 1
    """The rules version the case is held to (:mod:`casehistory.domain.rulebook`).
    Recorded since 0.3.0: an older record has no ``rules`` key, and answers 1."""

    def mutate(self, aggregate: Any) -> Any:
        # eventsourcing imports the module the stored originator_topic names: never
        # import what a row says, whatever changed it.
        if self.originator_topic != CASE_TOPIC:
            raise StoreUnavailable(
                f"case {self.originator_id} cannot be read: its CaseOpened names the "
                f"aggregate {self.originator_topic!r:.80}, not {CASE_TOPIC!r} (the row was "
                "changed outside the desk); run `casehistory verify`"
            )
        return super().mutate(aggregate)


class AgentAssigned(CaseEvent):
    agent: Actor


class CaseTransferred(CaseEvent):
    from_department: str
    to_department: str
    reason: Text


class ContactLogged(CaseEvent):
    channel: Channel
    direction: Direction
    summary: Text
    demeanour: Demeanour | None
    awaiting_reply: bool
    time_check: PolicyDecision | None = None
    """The business-time decision that let a contact before the case's opening in
    (rules 2; absent otherwise)."""
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""

    @property
    def lifecycle_key(self) -> str:
        return contact_lifecycle_key(self.direction, self.awaiting_reply)


def contact_lifecycle_key(direction: Direction, awaiting_reply: bool) -> str:
    """The lifecycle row of a contact: inbound, outbound, or outbound awaiting a reply."""
    if direction is Direction.INBOUND:
        return "ContactLogged (inbound)"
    if awaiting_reply:
        return "ContactLogged (outbound, awaiting reply)"
    return "ContactLogged (outbound)"


class NoteAdded(CaseEvent):
    text: Text


class ComplaintRecorded(CaseEvent):
    category: ComplaintCategory
    details: Text


class CommendationRecorded(CaseEvent):
    agent_id: str
    source: Actor
    text: Text


class DiagnosisRecorded(CaseEvent):
    symptom: Text
    finding: str
    root_cause: str
    fault: Fault
    known_issue: str | None
    shipping_decision: PolicyDecision | None = None
    """Return shipping decided again for the open RMA that the customer was to pay for
    (rules 2; absent when no such RMA was open)."""
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class RemediationPerformed(CaseEvent):
    action: str


class EntitlementChecked(CaseEvent):
    decision: PolicyDecision
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class EscalationRequested(CaseEvent):
    number: int
    to: EscalationTarget
    reason: Text


class EscalationApproved(CaseEvent):
    number: int
    reason: Text


class EscalationDenied(CaseEvent):
    number: int
    reason: Text


class GoodwillGranted(CaseEvent):
    kind: GoodwillKind
    value: Money
    reason: Text
    limit_check: PolicyDecision
    cutoff_check: PolicyDecision | None
    case_limit_check: PolicyDecision | None = None
    """The case's goodwill in all, this grant included (rules 2)."""
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class RmaIssued(CaseEvent):
    rma_number: str
    items: str
    reason: Text
    disposition: Disposition
    return_shipping_paid_by: Payer
    shipping_decision: PolicyDecision
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class ReturnReceived(CaseEvent):
    rma_number: str
    condition: str


class InspectionCompleted(CaseEvent):
    rma_number: str
    outcome: InspectionOutcome
    findings: Text


class RepairCompleted(CaseEvent):
    rma_number: str
    work_done: str
    covered_by: RepairCoverage
    cost: Money | None
    warranty_check: PolicyDecision | None
    limit_check: PolicyDecision | None = None
    """A repair covered by GOODWILL: its cost against the goodwill limit (rules 2)."""
    case_limit_check: PolicyDecision | None = None
    """A repair covered by GOODWILL: the case's goodwill in all, its cost included."""
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class ReplacementShipped(CaseEvent):
    """A replacement was shipped under an RMA.

    Version 2 (0.4.0): the field ``tracking`` is renamed ``tracking_number``, and
    ``carrier`` (who ships it; None when not given) is added. A row of version 1 is
    read through :meth:`upcast_v1_v2`; its digest stays over the record as it was
    stored (docs/design.md, "How to change an event")."""

    class_version = 2

    rma_number: str
    service_level: ServiceLevel
    tracking_number: str
    paid_by: Payer
    carrier: str | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A shipment recorded before version 2: its ``tracking`` under the new name,
        and no carrier."""
        state["tracking_number"] = state.pop("tracking")
        state["carrier"] = None


class RmaRejected(CaseEvent):
    rma_number: str
    reason: Text


class RmaClosed(CaseEvent):
    rma_number: str
    note: Text


class PaymentRecorded(CaseEvent):
    amount: Money
    reference: str
    time_check: PolicyDecision | None = None
    """The business-time decision that let a payment before the case's opening in
    (rules 2; absent otherwise)."""
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class RefundRequested(CaseEvent):
    amount: Money
    reason: Text


class RefundIssued(CaseEvent):
    amount: Money
    reason: Text
    policy_exception: bool
    window_check: PolicyDecision | None
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class RefundDenied(CaseEvent):
    reason: Text
    decision: PolicyDecision | None
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class HoldPlaced(CaseEvent):
    amount: Money
    account: Text
    reference: str
    reason: Text


class HoldReleased(CaseEvent):
    amount: Money
    reference: str
    reason: Text


class CreditIssued(CaseEvent):
    amount: Money
    reason: Text
    limit_check: PolicyDecision
    credit_check: PolicyDecision | None = None
    """The credit against the limit of its issuer's role (rules 2)."""
    policy_digests: dict[str, str] | None = None
    """The digest of each decision's policy parameters, by ``"id vN"`` (rules 2)."""


class CancellationRequested(CaseEvent):
    subscription: str
    reason: Text


class CancellationCompleted(CaseEvent):
    subscription: str
    effective_on: date


class CaseResolved(CaseEvent):
    resolution: Text
    fault: Fault


class CaseClosed(CaseEvent):
    pass


class CaseReopened(CaseEvent):
    reason: Text


class CasesLinked(CaseEvent):
    other_case_id: UUID
    relation: LinkKind


class CustomerForgotten(CaseEvent):
    """The case's customer was forgotten: their key destroyed, so that every personal
    text of the case (:data:`PERSONAL`) reads as erased. It carries no personal data:
    the ground of the erasure, and who decided it."""

    ground: ErasureGround


EVENT_TYPES: tuple[type[CaseEvent], ...] = (
    CaseOpened,
    AgentAssigned,
    CaseTransferred,
    CaseResolved,
    CaseClosed,
    CaseReopened,
    CasesLinked,
    ContactLogged,
    NoteAdded,
    ComplaintRecorded,
    CommendationRecorded,
    DiagnosisRecorded,
    RemediationPerformed,
    EntitlementChecked,
    EscalationRequested,
    EscalationApproved,
    EscalationDenied,
    GoodwillGranted,
    RmaIssued,
    ReturnReceived,
    InspectionCompleted,
    RepairCompleted,
    ReplacementShipped,
    RmaRejected,
    RmaClosed,
    PaymentRecorded,
    RefundRequested,
    RefundIssued,
    RefundDenied,
    HoldPlaced,
    HoldReleased,
    CreditIssued,
    CancellationRequested,
    CancellationCompleted,
    CustomerForgotten,
)
"""Every event type, in the order of the vocabulary (lifecycle, contact, ..., account)."""


PERSONAL: dict[type[CaseEvent], tuple[str, ...]] = {
    CaseOpened: ("customer", "subject"),
    CaseTransferred: ("reason",),
    ContactLogged: ("summary",),
    NoteAdded: ("text",),
    ComplaintRecorded: ("details",),
    CommendationRecorded: ("text",),
    DiagnosisRecorded: ("symptom",),
    EscalationRequested: ("reason",),
    EscalationApproved: ("reason",),
    EscalationDenied: ("reason",),
    GoodwillGranted: ("reason",),
    RmaIssued: ("reason",),
    InspectionCompleted: ("findings",),
    RmaRejected: ("reason",),
    RmaClosed: ("note",),
    RefundRequested: ("reason",),
    RefundIssued: ("reason",),
    RefundDenied: ("reason",),
    HoldPlaced: ("account", "reason"),
    HoldReleased: ("reason",),
    CreditIssued: ("reason",),
    CancellationRequested: ("reason",),
    CaseResolved: ("resolution",),
    CaseReopened: ("reason",),
}
"""The personal fields of each event type: what a customer told us and what staff
typed about them (subjects, summaries, notes, reasons, findings, an account). Each is
recorded sealed under the customer's key (:mod:`casehistory.domain.sealed`) and reads
as erased once the customer is forgotten. ``customer`` stands for the customer's
:data:`PERSONAL_CUSTOMER_FIELDS`; the customer's id stays readable (it names whose
key seals the case, and whose cases to forget)."""

PERSONAL_CUSTOMER_FIELDS: tuple[str, ...] = ("name", "email")
"""The personal fields of a :class:`~casehistory.domain.values.Customer`."""
