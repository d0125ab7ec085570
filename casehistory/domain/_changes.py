"""What each event changes in a case's state, besides its status, digest and indexes of
time: one function (or lambda) per kind of event, giving the fields that change, for
the one fold :func:`casehistory.domain.state.evolve`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from casehistory.domain import events as ev
from casehistory.domain._state_parts import CaseLink, Escalation, EscalationOutcome, Rma, RmaStage
from casehistory.domain.ledger import Hold
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.values import (
    Channel,
    Direction,
    GoodwillKind,
    Money,
    Payer,
    Role,
    ServiceLevel,
)

if TYPE_CHECKING:
    from casehistory.domain.state import CaseState

__all__ = ["CHANGES", "reaches_customer"]

_Changes = dict[str, Any]


def _replace_escalation(state: CaseState, number: int, **changes: Any) -> _Changes:
    escalations = tuple(
        attrs.evolve(e, **changes) if e.number == number else e for e in state.escalations
    )
    return {"escalations": escalations}


def _replace_rma(state: CaseState, number: str, **changes: Any) -> _Changes:
    if number not in state.rmas:  # see CHANGES: a step of an RMA this fold does not hold
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


_Change = Callable[["CaseState", Any], _Changes]

# What each event changes besides status, digest and the indexes of time: the fields
# of the state that change, for one copy of the state per event (_apply). Total on
# every selection of a history that starts with CaseOpened, not only on whole histories: an as-of
# answer folds the events that occurred by a time, and business times can contradict
# the order of recording (a return "received" before its RMA was issued). So a step
# of an RMA, a decision on an escalation or a release of a hold that the state does
# not hold changes nothing but status and digest, instead of raising KeyError.
CHANGES: dict[type[ev.CaseEvent], _Change] = {
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
