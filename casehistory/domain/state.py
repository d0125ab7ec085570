"""The state of a case, and the one fold that derives it from events.

:func:`evolve` is the single place where an event changes what a case is. The
aggregate uses it to decide commands; the views use it to answer queries; so the
two can never disagree. It is pure and never refuses: rules are checked before an
event exists, and history is folded as it was accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple, cast
from uuid import UUID

import attrs

from casehistory.domain import events as ev
from casehistory.domain.chain import SINCE, SPARSE
from casehistory.domain.ledger import Hold, Ledger
from casehistory.domain.lifecycle import Status, next_status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.sealed import Text
from casehistory.domain.sla import SlaTerms
from casehistory.domain.values import (
    Actor,
    Channel,
    Customer,
    Direction,
    Disposition,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Money,
    Payer,
    Product,
    RepairCoverage,
    Role,
    ServiceLevel,
)

__all__ = [
    "OCCURRED_RUN",
    "STATE_FORMAT",
    "StatusChange",
    "CaseLink",
    "CaseState",
    "Escalation",
    "EscalationOutcome",
    "Folding",
    "Rma",
    "RmaStage",
    "evolve",
    "fold",
    "reaches_customer",
]


class EscalationOutcome(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"


class RmaStage(Enum):
    ISSUED = "ISSUED"
    RECEIVED = "RECEIVED"
    REJECTED = "REJECTED"
    CLOSED = "CLOSED"


@attrs.frozen
class Escalation:
    number: int
    to: EscalationTarget
    reason: Text
    requested_by: Actor
    outcome: EscalationOutcome = EscalationOutcome.PENDING
    decided_by: Actor | None = None
    decision_reason: Text | None = None


@attrs.frozen
class Rma:
    number: str
    items: str
    disposition: Disposition
    return_shipping_paid_by: Payer
    stage: RmaStage = RmaStage.ISSUED
    inspection: InspectionOutcome | None = None
    repaired_under: RepairCoverage | None = None
    replacement_tracking: str | None = None


@attrs.frozen
class CaseLink:
    other_case_id: UUID
    relation: LinkKind


def _escalations(value: Iterable[Escalation]) -> tuple[Escalation, ...]:
    return tuple(value)  # JSON gives lists back; state keeps tuples


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(value)))  # a set, stored as a sorted JSON list


def _links(value: Iterable[CaseLink]) -> tuple[CaseLink, ...]:
    return tuple(value)


class StatusChange(NamedTuple):
    """A status the case took, with the business time (``occurred_at``) and the store
    time (``recorded_at``) of the event that set it."""

    status: Status
    occurred_at: datetime
    recorded_at: datetime


def _status_changes(value: Iterable[Iterable[Any]]) -> tuple[StatusChange, ...]:
    if isinstance(value, tuple) and all(type(item) is StatusChange for item in value[-1:]):
        return value  # see _spans
    return tuple(StatusChange(*item) for item in value)


STATE_FORMAT = 3
"""The format of :class:`CaseState`: 1 up to 0.1.x, 2 from 0.2.0, which added
``statuses``, ``first_response_at``, ``first_response_recorded_at`` and ``sla``; 3 from
0.3.0, which added ``rules`` (committed to by cases held to rules 2 and later). A field's
``metadata[SINCE]`` names the format
that added it; a state commitment of format N covers the fields of formats up to N."""

OCCURRED_RUN = 50
"""Versions per run of :attr:`CaseState.occurred_runs`: 1-50, 51-100, ... The same
length as the desk's snapshot interval, so that each run starts at a snapshot."""

_Span = tuple[datetime, datetime]


def _spans(value: Iterable[Iterable[datetime]]) -> tuple[_Span, ...]:
    # A tuple passes through as is (a snapshot's decoding goes through __init__);
    # only JSON's lists of lists are converted.
    if isinstance(value, tuple):
        return value
    return tuple((low, high) for low, high in value)


def _indexed(runs: tuple[_Span, ...], version: int, occurred_at: datetime) -> tuple[_Span, ...]:
    """``runs`` with the event at ``version`` counted in its run."""
    run = (version - 1) // OCCURRED_RUN
    if run == len(runs):
        return (*runs, (occurred_at, occurred_at))
    if run != len(runs) - 1:
        # A gap: this fold skipped versions (an as-of answer folds a selection, and a
        # snapshot taken before the index existed has none). The index stays short,
        # and a short index is never read: the desk checks its length first.
        return runs
    low, high = runs[-1]
    if low <= occurred_at <= high:
        return runs
    return (*runs[:-1], (min(low, occurred_at), max(high, occurred_at)))


@attrs.frozen
class CaseState:
    """Everything the rules and the views need to know about a case."""

    case_id: UUID
    status: Status
    customer: Customer
    subject: Text
    channel: Channel
    product: Product | None
    opened_at: datetime
    agent: Actor | None = None
    department: str = "Customer Service"
    fault: Fault = Fault.UNDETERMINED
    known_issue: str | None = None
    resolution: Text | None = None
    ledger: Ledger = attrs.Factory(Ledger)
    holds: dict[str, Hold] = attrs.Factory(dict)
    escalations: tuple[Escalation, ...] = attrs.field(default=(), converter=_escalations)
    rmas: dict[str, Rma] = attrs.Factory(dict)
    decisions: dict[str, PolicyDecision] = attrs.Factory(dict)
    refund_requested: Money | None = None
    cancellations_requested: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    cancelled_subscription: str | None = None
    links: tuple[CaseLink, ...] = attrs.field(default=(), converter=_links)
    digest: str | None = None
    """The digest of the last event: the next one is chained to it."""
    occurred_runs: tuple[_Span, ...] = attrs.field(default=(), converter=_spans)
    """The earliest and latest business time (``occurred_at``) of each run of
    :data:`OCCURRED_RUN` versions, oldest run first: the index that lets an as-of
    query skip, from a snapshot, every run without an event that occurred by then."""
    # Fields added in state format 2 (0.2.0): an older snapshot lacks them, and the
    # commitment of an event recorded before them does not cover them (see
    # chain.state_commitment and STATE_FORMAT).
    statuses: tuple[StatusChange, ...] = attrs.field(
        default=(), converter=_status_changes, metadata={SINCE: 2}
    )
    """Each status the case took, with the business time of the event that set it, in
    the order of recording: the case's first status, then one entry per change."""
    first_response_at: datetime | None = attrs.field(default=None, metadata={SINCE: 2})
    """The earliest business time of a contact in which staff reached the customer
    (:func:`reaches_customer`), or None."""
    first_response_recorded_at: datetime | None = attrs.field(default=None, metadata={SINCE: 2})
    """The store time of that contact."""
    sla: SlaTerms | None = attrs.field(default=None, metadata={SINCE: 2})
    """The SLA terms the case opened under (None: opened before they were recorded)."""
    # Added in state format 3: a commitment of a case held to rules 1 leaves it out
    # (rulebook.commitment_format), so that commitments recorded before it still verify.
    rules: int = attrs.field(default=1, metadata={SINCE: 3})
    """The rules version the case is held to (:mod:`casehistory.domain.rulebook`)."""
    overnight_upgrades: int = attrs.field(default=0, metadata={SINCE: 3})
    """Overnight upgrades granted as goodwill (FREE_SHIPPING_UPGRADE) and not yet used
    by an OVERNIGHT replacement shipped at the company's cost: one grant, one shipment."""
    # Added with sealing (0.4.0): a commitment covers it only once it is set (SPARSE),
    # so that the commitments recorded before it still verify.
    forgotten: bool = attrs.field(default=False, metadata={SPARSE: True})
    """Whether the customer was forgotten: their key destroyed, no personal text since."""

    @property
    def pending_escalation(self) -> Escalation | None:
        last = self.escalations[-1] if self.escalations else None
        return last if last and last.outcome is EscalationOutcome.PENDING else None

    @property
    def open_holds(self) -> tuple[Hold, ...]:
        return tuple(h for h in self.holds.values() if h.outstanding.amount > 0)

    def approved_escalation_to(self, *targets: EscalationTarget) -> Escalation | None:
        for escalation in reversed(self.escalations):
            if escalation.outcome is EscalationOutcome.APPROVED and escalation.to in targets:
                return escalation
        return None


_Changes = dict[str, Any]


def _replace_escalation(state: CaseState, number: int, **changes: Any) -> _Changes:
    escalations = tuple(
        attrs.evolve(e, **changes) if e.number == number else e for e in state.escalations
    )
    return {"escalations": escalations}


def _replace_rma(state: CaseState, number: str, **changes: Any) -> _Changes:
    if number not in state.rmas:  # see _CHANGES: a step of an RMA this fold does not hold
        return {}
    rma = attrs.evolve(state.rmas[number], **changes)
    return {"rmas": {**state.rmas, number: rma}}


def _repaired(state: CaseState, event: ev.RepairCompleted) -> _Changes:
    if event.rma_number not in state.rmas:
        return {}
    changes = _replace_rma(state, event.rma_number, repaired_under=event.covered_by)
    if event.warranty_check:
        changes["decisions"] = _decided(state, event.warranty_check)
    if event.limit_check is not None and event.cost is not None:
        # Rules 2: a repair covered by goodwill is goodwill given, and counts as such.
        changes["ledger"] = state.ledger.add("goodwill", event.cost)
        changes["decisions"] = _decided_all(
            state, event.warranty_check, event.limit_check, event.case_limit_check
        )
    return changes


def _released(state: CaseState, event: ev.HoldReleased) -> _Changes:
    hold = state.holds.get(event.reference)
    if hold is None:
        return {}
    return {
        "ledger": state.ledger.add("released", event.amount),
        "holds": {
            **state.holds,
            event.reference: attrs.evolve(hold, released=hold.released + event.amount),
        },
    }


def _decided(state: CaseState, decision: PolicyDecision) -> dict[str, PolicyDecision]:
    return {**state.decisions, decision.kind.name: decision}


def _goodwill(state: CaseState, event: ev.GoodwillGranted) -> _Changes:
    decisions = _decided(state, event.limit_check)
    if event.cutoff_check is not None:
        decisions[event.cutoff_check.kind.name] = event.cutoff_check
    if event.case_limit_check is not None:
        decisions[event.case_limit_check.kind.name] = event.case_limit_check
    changes: _Changes = {
        "ledger": state.ledger.add("goodwill", event.value),
        "decisions": decisions,
    }
    if event.kind is GoodwillKind.FREE_SHIPPING_UPGRADE:
        changes["overnight_upgrades"] = state.overnight_upgrades + 1
    return changes


def _shipped(state: CaseState, event: ev.ReplacementShipped) -> _Changes:
    changes = _replace_rma(state, event.rma_number, replacement_tracking=event.tracking_number)
    if event.service_level is ServiceLevel.OVERNIGHT and event.paid_by is Payer.COMPANY:
        # Not below 0: under rules 1 such a shipment needed no grant.
        changes["overnight_upgrades"] = max(0, state.overnight_upgrades - 1)
    return changes


def _decided_all(state: CaseState, *decisions: PolicyDecision | None) -> dict[str, PolicyDecision]:
    found = dict(state.decisions)
    for decision in decisions:
        if decision is not None:
            found[decision.kind.name] = decision
    return found


_OPEN_RMA = frozenset({RmaStage.ISSUED, RmaStage.RECEIVED})


def _diagnosed(state: CaseState, event: ev.DiagnosisRecorded) -> _Changes:
    known_issue = event.known_issue or state.known_issue
    changes: _Changes = {"fault": event.fault, "known_issue": known_issue}
    decision = event.shipping_decision
    if decision is not None:
        # Rules 2: return shipping decided again; the company now pays an open return.
        changes["decisions"] = _decided(state, decision)
        if decision.entitled:
            changes["rmas"] = {
                number: attrs.evolve(rma, return_shipping_paid_by=Payer.COMPANY)
                if rma.stage in _OPEN_RMA
                else rma
                for number, rma in state.rmas.items()
            }
    return changes


def _contacted(state: CaseState, event: ev.ContactLogged) -> _Changes:
    if not reaches_customer(event) or (
        state.first_response_at is not None and state.first_response_at <= event.occurred_at
    ):
        return {}
    return {"first_response_at": event.occurred_at, "first_response_recorded_at": event.timestamp}


_STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER})
_LIVE = frozenset({Channel.PHONE, Channel.WALK_IN, Channel.CHAT})


def reaches_customer(event: ev.ContactLogged) -> bool:
    """Whether a contact is one in which staff reach the customer, which answers the
    first-response clock: an outbound contact, or an inbound one on a live channel
    (phone, walk-in, chat), logged by staff (an agent, a supervisor, a manager). An
    inbound email or letter waits for a reply; an acknowledgement the SYSTEM sends
    reaches nobody."""
    if event.by.role not in _STAFF:
        return False
    return event.direction is Direction.OUTBOUND or event.channel in _LIVE


_Change = Callable[[CaseState, Any], _Changes]

# What each event changes besides status, digest and the indexes of time: the fields
# of the state that change, for one copy of the state per event (_apply). Total on
# every selection of a history that starts with CaseOpened, not only on whole histories: an as-of
# answer folds the events that occurred by a time, and business times can contradict
# the order of recording (a return "received" before its RMA was issued). So a step
# of an RMA, a decision on an escalation or a release of a hold that the state does
# not hold changes nothing but status and digest, instead of raising KeyError.
_CHANGES: dict[type[ev.CaseEvent], _Change] = {
    ev.AgentAssigned: lambda s, e: {"agent": e.agent},
    ev.CaseTransferred: lambda s, e: {"department": e.to_department},
    ev.ContactLogged: _contacted,
    ev.DiagnosisRecorded: _diagnosed,
    ev.EntitlementChecked: lambda s, e: {"decisions": _decided(s, e.decision)},
    ev.EscalationRequested: lambda s, e: {
        "escalations": (*s.escalations, Escalation(e.number, e.to, e.reason, e.by))
    },
    ev.EscalationApproved: lambda s, e: _replace_escalation(
        s, e.number, outcome=EscalationOutcome.APPROVED, decided_by=e.by, decision_reason=e.reason
    ),
    ev.EscalationDenied: lambda s, e: _replace_escalation(
        s, e.number, outcome=EscalationOutcome.DENIED, decided_by=e.by, decision_reason=e.reason
    ),
    ev.GoodwillGranted: _goodwill,
    ev.RmaIssued: lambda s, e: {
        "rmas": {
            **s.rmas,
            e.rma_number: Rma(e.rma_number, e.items, e.disposition, e.return_shipping_paid_by),
        },
        "decisions": _decided(s, e.shipping_decision),
    },
    ev.ReturnReceived: lambda s, e: _replace_rma(s, e.rma_number, stage=RmaStage.RECEIVED),
    ev.InspectionCompleted: lambda s, e: _replace_rma(s, e.rma_number, inspection=e.outcome),
    ev.RepairCompleted: _repaired,
    ev.ReplacementShipped: _shipped,
    ev.RmaRejected: lambda s, e: _replace_rma(s, e.rma_number, stage=RmaStage.REJECTED),
    ev.RmaClosed: lambda s, e: _replace_rma(s, e.rma_number, stage=RmaStage.CLOSED),
    ev.PaymentRecorded: lambda s, e: {"ledger": s.ledger.add("paid", e.amount)},
    ev.RefundRequested: lambda s, e: {"refund_requested": e.amount},
    ev.RefundIssued: lambda s, e: {
        "ledger": s.ledger.add("refunded", e.amount),
        "refund_requested": None,
        "decisions": _decided(s, e.window_check) if e.window_check else s.decisions,
    },
    ev.RefundDenied: lambda s, e: {"refund_requested": None},
    ev.HoldPlaced: lambda s, e: {
        "ledger": s.ledger.add("held", e.amount),
        "holds": {
            **s.holds,
            e.reference: Hold(
                e.reference, e.account, e.amount, Money.zero(e.amount.currency), e.reason
            ),
        },
    },
    ev.HoldReleased: _released,
    ev.CreditIssued: lambda s, e: {
        "ledger": s.ledger.add("credited", e.amount),
        "decisions": _decided_all(s, e.limit_check, e.credit_check),
    },
    ev.CancellationRequested: lambda s, e: {
        "cancellations_requested": (*s.cancellations_requested, e.subscription)
    },
    ev.CancellationCompleted: lambda s, e: {
        "cancelled_subscription": e.subscription,
        "cancellations_requested": tuple(
            name for name in s.cancellations_requested if name != e.subscription
        ),
    },
    ev.CaseResolved: lambda s, e: {"fault": e.fault, "resolution": e.resolution},
    ev.CaseReopened: lambda s, e: {"resolution": None},
    ev.CasesLinked: lambda s, e: {"links": (*s.links, CaseLink(e.other_case_id, e.relation))},
    ev.CustomerForgotten: lambda s, e: {"forgotten": True},
}


def evolve(state: CaseState | None, event: ev.CaseEvent) -> CaseState:
    """Return the state after ``event``: the one definition of what each event means."""
    if isinstance(event, ev.CaseOpened):
        status = next_status(None, event.lifecycle_key)
        return CaseState(
            case_id=event.originator_id,
            status=status,
            customer=event.customer,
            subject=event.subject,
            channel=event.channel,
            product=event.product,
            opened_at=event.occurred_at,
            digest=event.digest,
            occurred_runs=_indexed((), event.originator_version, event.occurred_at),
            statuses=(StatusChange(status, event.occurred_at, event.timestamp),),
            sla=event.sla,
            rules=event.rules,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} cannot start a case; CaseOpened must come first")
    new: CaseState = _to_state(state)
    _apply(new, event)
    return new


_NAMES = tuple(field.name for field in attrs.fields(CaseState))
_NEW = object.__new__
_SET = object.__setattr__
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    field.name: cast(Callable[[Any], Any], field.converter)
    for field in attrs.fields(CaseState)
    if field.converter is not None
}


def _apply(target: Any, event: ev.CaseEvent) -> None:
    """Change ``target`` (a new copy of the state before ``event``, or a fold's scratch
    copy: only its fields are read and set) into the state after it, field by field:
    the fields the event's kind changes (:data:`_CHANGES`, each through its field's
    converter, all computed from the state before the event), then status, digest
    and the index of business times. What ``attrs.evolve`` would give, at a fraction
    of its cost: the step every event of every fold takes (the unchanged fields were
    copied as they are, their converters having run when they were set)."""
    change = _CHANGES.get(type(event))
    if change is not None:
        for name, value in change(target, event).items():
            convert = _CONVERTERS.get(name)
            _SET(target, name, value if convert is None else convert(value))
    status = next_status(target.status, event.lifecycle_key)
    if status is not target.status:
        # A tuple of StatusChange: what its converter returns as it is.
        _SET(
            target,
            "statuses",
            (*target.statuses, StatusChange(status, event.occurred_at, event.timestamp)),
        )
        _SET(target, "status", status)
    _SET(target, "digest", event.digest)
    # A tuple of pairs: what its converter (_spans) returns as it is.
    _SET(
        target,
        "occurred_runs",
        _indexed(target.occurred_runs, event.originator_version, event.occurred_at),
    )


class _Scratch:
    """A state's fields, settable: the state of a fold between two events."""

    __slots__ = _NAMES


def _copier(kind: type[Any]) -> Callable[[Any], Any]:
    """A new ``kind`` with the fields of a state, set without ``__init__``, one statement
    a field, through its slot's own setter: generated once (as attrs generates its
    methods), since a loop over thirty names, or ``object.__setattr__`` finding each
    slot by name, costs half as much again, and every command copies its state once."""
    lines = ["def _copied(source):", "    new = _NEW(kind)"]
    lines += [f"    _{i}(new, source.{name})" for i, name in enumerate(_NAMES)]
    scope: dict[str, Any] = {"_NEW": _NEW, "kind": kind}
    scope.update({f"_{i}": kind.__dict__[name].__set__ for i, name in enumerate(_NAMES)})
    exec("\n".join([*lines, "    return new"]), scope)  # the state's own attrs fields
    return cast(Callable[[Any], Any], scope["_copied"])


_to_state, _to_scratch = _copier(CaseState), _copier(_Scratch)
"""A new CaseState, or a fold's scratch, with the fields of a state (or a scratch)."""


def fold(events: Iterable[ev.CaseEvent], state: CaseState | None = None) -> CaseState:
    """Fold ``events`` into a state, starting from ``state`` (or from nothing)."""
    folding = Folding(state)
    for event in events:
        folding.add(event)
    return folding.state


class Folding:
    """A fold under way, one event at a time: the same states as :func:`evolve`, at a
    fraction of its cost on long folds, since the state is kept in a scratch copy that
    each event changes in place (its changed fields only, through their converters) and
    made a frozen :class:`CaseState` only when asked for."""

    __slots__ = ("_frozen", "_work")

    def __init__(self, state: CaseState | None = None) -> None:
        self._frozen = state
        self._work: Any = None

    def add(self, event: ev.CaseEvent) -> None:
        """Fold ``event`` in."""
        work = self._work
        if work is None:
            state = self._frozen
            if state is None or isinstance(event, ev.CaseOpened):
                self._frozen = evolve(state, event)
                return
            work = self._work = _to_scratch(state)
        elif isinstance(event, ev.CaseOpened):  # starts a case over, as evolve does
            self._work, self._frozen = None, evolve(self.state, event)
            return
        _apply(work, event)
        self._frozen = None

    @property
    def ledger(self) -> Ledger | None:
        """The ledger as folded so far (None before CaseOpened)."""
        if self._work is not None:
            return cast(Ledger, self._work.ledger)
        return None if self._frozen is None else self._frozen.ledger

    @property
    def state(self) -> CaseState:
        """The state folded so far (``ValueError`` before any event)."""
        if self._frozen is None:
            if self._work is None:
                raise ValueError("no events to fold: a case starts with CaseOpened")
            self._frozen = cast(CaseState, _to_state(self._work))
        return self._frozen
