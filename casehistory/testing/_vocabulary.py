"""Every desk command after ``open_case``, one :class:`Step` per lifecycle row, and the
draw of the next command a case accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from casehistory.domain.lifecycle import Status
from casehistory.domain.state import RmaStage
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Demeanour,
    Direction,
    Disposition,
    EntitlementKind,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Payer,
    RepairCoverage,
    Role,
    ServiceLevel,
)
from casehistory.testing._commands import EVENT_OF, Command
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import (
    APPROVERS,
    ASSIGNABLE,
    CAST,
    COMMENDATION_SOURCES,
    GOODWILL_LIMIT,
    RIGHTS,
    SUPERVISORS,
)
from casehistory.testing._steps import (
    Narrow,
    Step,
    by_strategy,
    draw_in,
    draw_when,
    new_name,
    one_of,
)
from casehistory.testing._values import actors, money, texts

__all__ = ["DEPARTMENTS", "STEPS", "STEP_OF", "draw_next", "enabled"]

DEPARTMENTS = ("Customer Service", "Purchasing", "Billing", "Repairs")
SUBSCRIPTIONS = ("care plan", "cloud backup")
_MAX_GOODWILL = Decimal("120.00")  # above the 50.00 limit now and then


def enabled(model: CaseModel) -> list[Step]:
    """The steps the desk must accept now: the table allows them and the model is ready."""
    return [s for s in STEPS if model.allows(s.key) and (s.ready is None or s.ready(model))]


def _tickets(steps: Iterable[Step], model: CaseModel) -> list[Step]:
    return [
        step
        for step in steps
        for _ in range(step.weight if isinstance(step.weight, int) else step.weight(model))
    ]


def draw_next(draw: st.DrawFn, model: CaseModel) -> Command:
    """Draw one command that the desk must accept in the model's state.

    Each step gets ``weight`` tickets: the steps that move a case on through its
    lifecycle (assignment, RMA stages, decisions, refunds) more than notes, so that
    histories of a few dozen commands reach every event type. A ticket is drawn among
    all the steps, up to three times until the model allows its step (then among those
    it allows): so the choice kept names the same step whatever came before it, and
    the shrinker can delete earlier commands without changing later ones."""
    allowed = enabled(model)
    tickets = _tickets(STEPS, model)
    for _ in range(3):
        step = one_of(draw, tickets)
        if any(step is other for other in allowed):
            break
    else:
        step = one_of(draw, _tickets(allowed, model))
    return draw_in(draw, step, model, draw_when(draw))


def _rma_at(*stages: RmaStage) -> tuple[Narrow, Callable[[CaseModel], bool]]:
    def narrow(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
        return {"rma_number": one_of(draw, m.rmas_at(*stages))}

    return narrow, lambda m: bool(m.rmas_at(*stages))


def _within_limit(event: str) -> Callable[[st.DrawFn, Any], Actor]:
    """Who may grant ``value``: anyone with the right, above the limit only supervisors."""
    anyone, supervisors = by_strategy(event), actors(set(RIGHTS[event]) & SUPERVISORS)
    return lambda draw, value: draw(supervisors if value.amount > GOODWILL_LIMIT else anyone)


def _goodwill(field: str, event: str) -> Narrow:
    decide = _within_limit(event)

    def narrow(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
        value = draw(money(max_value=_MAX_GOODWILL))
        return {field: value, "by": decide(draw, value)}

    return narrow


def _decider(event: str) -> Narrow:
    def narrow(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
        pending = m.pending_escalation
        assert pending is not None
        allowed = APPROVERS[pending.to] & RIGHTS[event]
        deciders = [a for a in CAST if a.role in allowed and a.id != pending.requested_by.id]
        return {"by": one_of(draw, deciders)}

    return narrow


def _repair(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {
        "rma_number": one_of(draw, m.rmas_at(RmaStage.RECEIVED)),
        "covered_by": one_of(draw, m.coverages(when)),
    }


_refund_by = by_strategy("RefundIssued")
_refund_supervisors = actors(RIGHTS["RefundIssued"] & SUPERVISORS)


def _refund(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    currency = one_of(draw, m.refundable_currencies())
    amount = draw(money(currency, max_value=m.refundable(currency)))
    # Past the return window, with no approved exception, only a supervisor refunds.
    by = draw(_refund_supervisors if m.refund_needs_supervisor(when) else _refund_by)
    return {"amount": amount, "by": by}


def _open_holds(m: CaseModel) -> list[str]:
    return [h.reference for h in m.open_holds if h.outstanding.amount >= Decimal("0.01")]


def _release(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    hold = m.holds[one_of(draw, _open_holds(m))]
    left = hold.outstanding
    amount = draw(st.just(left) | money(left.currency, max_value=left.amount))  # all or part
    return {"reference": hold.reference, "amount": amount}


# Every command ---------------------------------------------------------------------------

_RMA_NUMBERS = st.sampled_from(["RMA-1", "RMA-2"])
_REFERENCES = st.sampled_from(["HOLD-1", "HOLD-2"])
_SUBSCRIPTION = st.sampled_from(SUBSCRIPTIONS) | texts
_issued, _issued_ready = _rma_at(RmaStage.ISSUED)
_received, _received_ready = _rma_at(RmaStage.RECEIVED)
_open_rma, _open_rma_ready = _rma_at(RmaStage.ISSUED, RmaStage.RECEIVED)


def _step(
    key: str,
    method: str,
    *,
    narrow: Narrow | None = None,
    ready: Callable[[CaseModel], bool] | None = None,
    weight: int | Callable[[CaseModel], int] = 1,
    customer: bool = False,
    **args: st.SearchStrategy[Any],
) -> Step:
    by = by_strategy(EVENT_OF[method], customer=customer)
    return Step(key, method, args, by, narrow, ready, weight)


def _contact(key: str, direction: Direction, awaiting: bool) -> Step:
    return _step(
        key,
        "log_contact",
        customer=direction is Direction.INBOUND,
        channel=st.sampled_from(Channel),
        direction=st.just(direction),
        summary=texts,
        demeanour=st.none() | st.sampled_from(Demeanour),
        awaiting_reply=st.just(awaiting),
    )


def _other_department(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"to_department": one_of(draw, [d for d in DEPARTMENTS if d != m.department])}


def _link_target(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"other_case_id": one_of(draw, m.link_targets)}


def _new_rma(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"rma_number": new_name("RMA", m.rmas)}


def _new_hold(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"reference": new_name("HOLD", m.holds)}


def _cancelled(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"subscription": one_of(draw, sorted(m.cancellations))}


def _pending(m: CaseModel) -> bool:
    return m.pending_escalation is not None


_ENTITLEMENTS = st.sampled_from([EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY])
_AGENT_IDS = st.sampled_from([a.id for a in CAST if a.role is Role.AGENT])

STEPS: tuple[Step, ...] = (
    # The simplest first: Hypothesis shrinks towards the first step the model allows.
    _step("NoteAdded", "add_note", text=texts),
    _contact("ContactLogged (inbound)", Direction.INBOUND, False),
    _contact("ContactLogged (outbound)", Direction.OUTBOUND, False),
    _contact("ContactLogged (outbound, awaiting reply)", Direction.OUTBOUND, True),
    _step(
        "ComplaintRecorded",
        "record_complaint",
        category=st.sampled_from(ComplaintCategory),
        details=texts,
    ),
    _step(
        "CommendationRecorded",
        "record_commendation",
        agent_id=_AGENT_IDS,
        source=actors(COMMENDATION_SOURCES),
        text=texts,
    ),
    _step(
        "CaseTransferred",
        "transfer_case",
        narrow=_other_department,
        to_department=st.sampled_from(DEPARTMENTS),
        reason=texts,
    ),
    _step(
        "CasesLinked",
        "link_cases",
        narrow=_link_target,
        ready=lambda m: bool(m.link_targets),
        other_case_id=st.uuids(),
        relation=st.sampled_from(LinkKind),
    ),
    _step("CaseResolved", "resolve_case", weight=2, resolution=texts, fault=st.sampled_from(Fault)),
    _step("CaseClosed", "close_case", weight=2),
    _step("CaseReopened", "reopen_case", weight=2, reason=texts),
    _step(
        "DiagnosisRecorded",
        "record_diagnosis",
        symptom=texts,
        finding=texts,
        root_cause=texts,
        fault=st.sampled_from(Fault),
        known_issue=st.none() | texts,
    ),
    _step("RemediationPerformed", "record_remediation", action=texts),
    _step(
        "EntitlementChecked",
        "check_entitlement",
        ready=lambda m: m.product is not None,
        weight=2,
        kind=_ENTITLEMENTS,
    ),
    _step(
        "EscalationRequested",
        "request_escalation",
        weight=2,
        to=st.sampled_from(EscalationTarget),
        reason=texts,
    ),
    _step(
        "EscalationApproved",
        "approve_escalation",
        narrow=_decider("EscalationApproved"),
        ready=_pending,
        weight=5,
        reason=texts,
    ),
    _step(
        "EscalationDenied",
        "deny_escalation",
        narrow=_decider("EscalationDenied"),
        ready=_pending,
        weight=4,
        reason=texts,
    ),
    _step(
        "GoodwillGranted",
        "grant_goodwill",
        narrow=_goodwill("value", "GoodwillGranted"),
        kind=st.sampled_from(GoodwillKind),
        value=money(max_value=_MAX_GOODWILL),
        reason=texts,
    ),
    _step(
        "RmaIssued",
        "issue_rma",
        narrow=_new_rma,
        weight=3,
        rma_number=_RMA_NUMBERS,
        items=texts,
        reason=texts,
        disposition=st.sampled_from(Disposition),
    ),
    _step(
        "ReturnReceived",
        "receive_return",
        narrow=_issued,
        ready=_issued_ready,
        weight=10,
        rma_number=_RMA_NUMBERS,
        condition=texts,
    ),
    _step(
        "InspectionCompleted",
        "complete_inspection",
        narrow=_received,
        ready=_received_ready,
        weight=6,
        rma_number=_RMA_NUMBERS,
        outcome=st.sampled_from(InspectionOutcome),
        findings=texts,
    ),
    _step(
        "RepairCompleted",
        "complete_repair",
        narrow=_repair,
        ready=_received_ready,
        weight=6,
        rma_number=_RMA_NUMBERS,
        work_done=texts,
        covered_by=st.sampled_from(RepairCoverage),
        cost=st.none() | money(),
    ),
    _step(
        "ReplacementShipped",
        "ship_replacement",
        narrow=_open_rma,
        ready=_open_rma_ready,
        weight=3,
        rma_number=_RMA_NUMBERS,
        service_level=st.sampled_from(ServiceLevel),
        tracking=texts,
        paid_by=st.sampled_from(Payer),
    ),
    _step(
        "RmaRejected",
        "reject_rma",
        narrow=_open_rma,
        ready=_open_rma_ready,
        weight=3,
        rma_number=_RMA_NUMBERS,
        reason=texts,
    ),
    _step(
        "RmaClosed",
        "close_rma",
        narrow=_open_rma,
        ready=_open_rma_ready,
        weight=3,
        rma_number=_RMA_NUMBERS,
        note=texts,
    ),
    _step("PaymentRecorded", "record_payment", amount=money(), reference=texts),
    _step("RefundRequested", "request_refund", amount=money(), reason=texts),
    _step(
        "RefundIssued",
        "issue_refund",
        narrow=_refund,
        ready=lambda m: bool(m.refundable_currencies()),
        weight=3,
        amount=money(),
        reason=texts,
    ),
    _step(
        "RefundDenied",
        "deny_refund",
        ready=lambda m: m.refund_requested is not None,
        weight=3,
        reason=texts,
    ),
    _step(
        "HoldPlaced",
        "place_hold",
        narrow=_new_hold,
        amount=money(max_value=Decimal("9000.00")),
        account=texts,
        reference=_REFERENCES,
        reason=texts,
    ),
    _step(
        "HoldReleased",
        "release_hold",
        narrow=_release,
        ready=lambda m: bool(_open_holds(m)),
        weight=3,
        reference=_REFERENCES,
        amount=money(),
        reason=texts,
    ),
    _step(
        "CreditIssued",
        "issue_credit",
        narrow=_goodwill("amount", "CreditIssued"),
        amount=money(max_value=_MAX_GOODWILL),
        reason=texts,
    ),
    _step(
        "CancellationRequested", "request_cancellation", subscription=_SUBSCRIPTION, reason=texts
    ),
    _step(
        "CancellationCompleted",
        "complete_cancellation",
        narrow=_cancelled,
        ready=lambda m: bool(m.cancellations),
        weight=3,
        subscription=_SUBSCRIPTION,
        effective_on=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    ),
    # Last: its weight changes with the status, and the tickets before it stay in place.
    _step(
        "AgentAssigned",
        "assign_agent",
        weight=lambda m: 6 if m.status is Status.NEW else 1,
        agent=actors(ASSIGNABLE),
    ),
)
"""Every command after ``open_case``, one step per lifecycle row."""

STEP_OF: Mapping[str, Step] = {step.key: step for step in STEPS}
