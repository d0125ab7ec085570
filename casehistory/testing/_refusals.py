"""Commands the desk must refuse at a point of a history, and the error each must raise.

Each rule says when the model's state lets it be broken, and builds a command that
breaks that rule and no rule checked before it (the desk checks, in order: the times,
the actor's rights, a closed case, the command's own rules, then the lifecycle table).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from casehistory.domain.lifecycle import Status
from casehistory.domain.state import RmaStage
from casehistory.domain.values import (
    Actor,
    EntitlementKind,
    GoodwillKind,
    InspectionOutcome,
    Money,
    RepairCoverage,
    Role,
)
from casehistory.errors import (
    CancellationNotRequested,
    CaseHistoryError,
    CaseIsClosed,
    CaseNotFound,
    CurrencyMismatch,
    EscalationAlreadyPending,
    EscalationNotPending,
    GoodwillAboveLimit,
    HoldNotFound,
    InvalidInput,
    NoRefundRequested,
    NotAuthorised,
    OccurredInFuture,
    PolicyExceptionRequired,
    ProductRequired,
    RefundExceedsPaid,
    ReleaseExceedsHold,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
    SelfApprovalForbidden,
    TransitionNotAllowed,
)
from casehistory.testing._commands import Command
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import (
    APPROVERS,
    ASSIGNABLE,
    CAST,
    COMMENDATION_SOURCES,
    GOODWILL_LIMIT,
    RIGHTS,
)
from casehistory.testing._steps import (
    Step,
    command,
    draw_free,
    draw_in,
    draw_when,
    new_name,
    one_of,
)
from casehistory.testing._values import CLOCK_START, CURRENCIES, money
from casehistory.testing._vocabulary import STEP_OF, STEPS

__all__ = ["Refusal", "draw_refusal"]

Refusal = tuple[Command, type[CaseHistoryError]]

_BY_ROLE = {role: next(a for a in CAST if a.role is role) for role in Role}
AGENT, SUPERVISOR = _BY_ROLE[Role.AGENT], _BY_ROLE[Role.SUPERVISOR]
_NOT_PERMITTED = [  # (step, actor): a staff or vendor role the rights table leaves out
    (step, actor)
    for step in STEPS
    for actor in CAST
    if actor.role not in RIGHTS[step.event] | {Role.AUDITOR, Role.CUSTOMER}
]
_ANY_BUT_INBOUND = [s for s in STEPS if s.key != "ContactLogged (inbound)"]
_OVER = st.integers(1, 10_000).map(lambda cents: Decimal(cents).scaleb(-2))


@attrs.frozen
class _Rule:
    name: str
    possible: Callable[[CaseModel, datetime], bool]
    build: Callable[[st.DrawFn, CaseModel, datetime], Refusal]
    weight: int = 1  # rules that only some states can break are drawn more often


def _open(m: CaseModel, when: datetime) -> bool:
    return m.status is not Status.CLOSED


def _always(m: CaseModel, when: datetime) -> bool:
    return True


def _by_anyone_refused(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    who = draw(st.sampled_from(["auditor", "customer", "role"]))
    if who == "auditor":
        step = draw(st.sampled_from(STEPS))
        actor = _BY_ROLE[Role.AUDITOR]
    elif who == "customer":
        step, actor = draw(st.sampled_from(_ANY_BUT_INBOUND)), _BY_ROLE[Role.CUSTOMER]
    else:
        step, actor = draw(st.sampled_from(_NOT_PERMITTED))
    return draw_free(draw, step, by=actor, occurred_at=when), NotAuthorised


def _bad_time(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = draw(st.sampled_from(STEPS))
    if draw(st.booleans()):
        late = CLOCK_START + timedelta(days=draw(st.integers(400, 4000)))
        return draw_free(draw, step, occurred_at=late), OccurredInFuture
    naive = when.astimezone(UTC).replace(tzinfo=None)
    return draw_free(draw, step, occurred_at=naive), InvalidInput


def _forbidden(m: CaseModel) -> list[Step]:
    """The steps the model is ready for but the table does not allow now."""
    return [s for s in STEPS if not m.allows(s.key) and (s.ready is None or s.ready(m))]


def _by_the_table(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = one_of(draw, _forbidden(m))
    expected: type[CaseHistoryError] = TransitionNotAllowed
    if m.status is Status.CLOSED:
        expected = CaseIsClosed
    elif step.key == "EscalationRequested" and m.pending_escalation is not None:
        expected = EscalationAlreadyPending  # one at a time is checked before the table
    if step.key == "CasesLinked":  # only refused when closed: before the target is looked up
        return draw_free(draw, step, occurred_at=when), expected
    return draw_in(draw, step, m, when), expected


def _closed(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = one_of(draw, [s for s in STEPS if s.key != "CaseReopened"])
    return draw_free(draw, step, by=SUPERVISOR, occurred_at=when), CaseIsClosed


def _second_escalation(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = STEP_OF["EscalationRequested"]
    return draw_free(draw, step, occurred_at=when), EscalationAlreadyPending


def _refund_beyond_paid(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    currency = one_of(draw, CURRENCIES)
    amount = Money(m.refundable(currency) + draw(_OVER), currency)
    kwargs: dict[str, Any] = {
        "amount": amount,
        "reason": "r",
        "by": SUPERVISOR,
        "occurred_at": when,
    }
    return command("issue_refund", kwargs), RefundExceedsPaid


def _past_window(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    currency = one_of(draw, m.refundable_currencies())
    amount = draw(money(currency, max_value=m.refundable(currency)))
    kwargs: dict[str, Any] = {"amount": amount, "reason": "r", "by": AGENT, "occurred_at": when}
    return command("issue_refund", kwargs), PolicyExceptionRequired


def _above_limit(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    value = draw(money(min_value=GOODWILL_LIMIT + Decimal("0.01"), max_value=999))
    if draw(st.booleans()):
        kwargs: dict[str, Any] = {"amount": value, "reason": "r", "by": AGENT, "occurred_at": when}
        return command("issue_credit", kwargs), GoodwillAboveLimit
    kwargs = {
        "kind": GoodwillKind.CREDIT,
        "value": value,
        "reason": "r",
        "by": AGENT,
    }
    return command("grant_goodwill", {**kwargs, "occurred_at": when}), GoodwillAboveLimit


def _supervised(
    method: str, error: type[CaseHistoryError], **kwargs: object
) -> Callable[[st.DrawFn, CaseModel, datetime], Refusal]:
    def build(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
        return command(method, {**kwargs, "by": SUPERVISOR, "occurred_at": when}), error

    return build


def _release_beyond_hold(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    hold = m.holds[one_of(draw, sorted(m.holds))]
    over = hold.outstanding.amount + draw(_OVER)
    other = next(c for c in CURRENCIES if c != hold.amount.currency)
    amount, error = draw(
        st.sampled_from(
            [
                (Money(over, hold.amount.currency), ReleaseExceedsHold),
                (Money(over, other), CurrencyMismatch),
            ]
        )
    )
    kwargs: dict[str, Any] = {
        "reference": hold.reference,
        "amount": amount,
        "reason": "r",
        "by": SUPERVISOR,
    }
    return command("release_hold", {**kwargs, "occurred_at": when}), error


def _unknown_hold(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {
        "reference": new_name("NO-HOLD", m.holds),
        "amount": Money("1.00", "USD"),
    }
    kwargs |= {"reason": "r", "by": SUPERVISOR, "occurred_at": when}
    return command("release_hold", kwargs), HoldNotFound


def _hold_reused(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {"amount": Money("1.00", "USD"), "account": "acct", "reason": "r"}
    kwargs |= {"reference": one_of(draw, sorted(m.holds)), "by": SUPERVISOR}
    return command("place_hold", {**kwargs, "occurred_at": when}), InvalidInput


def _never_requested(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {"subscription": new_name("never-asked", m.cancellations)}
    kwargs |= {"effective_on": when.date(), "by": SUPERVISOR, "occurred_at": when}
    return command("complete_cancellation", kwargs), CancellationNotRequested


def _same_department(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {"to_department": m.department, "reason": "r", "by": SUPERVISOR}
    return command("transfer_case", {**kwargs, "occurred_at": when}), InvalidInput


def _unknown_rma(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    method = one_of(draw, ["receive_return", "reject_rma", "close_rma"])
    kwargs: dict[str, Any] = {
        "rma_number": new_name("NO-RMA", m.rmas),
        "by": SUPERVISOR,
        "occurred_at": when,
    }
    return command(method, kwargs | ({"reason": "r"} if method == "reject_rma" else {})), (
        RmaNotFound
    )


def _rma_reused(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = STEP_OF["RmaIssued"]
    number = one_of(draw, sorted(m.rmas))
    return draw_free(draw, step, rma_number=number, by=SUPERVISOR, occurred_at=when), InvalidInput


def _rma_out_of_order(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    number = one_of(draw, sorted(m.rmas))
    stage = m.rmas[number].stage
    if stage is RmaStage.ISSUED:  # inspected before it arrived
        kwargs: dict[str, Any] = {
            "rma_number": number,
            "outcome": InspectionOutcome.DAMAGED,
            "findings": "f",
        }
        return command("complete_inspection", {**kwargs, "by": SUPERVISOR, "occurred_at": when}), (
            RmaOutOfOrder
        )
    # received again, or after the RMA ended
    kwargs = {"rma_number": number, "by": SUPERVISOR, "occurred_at": when}
    return command("receive_return", kwargs), RmaOutOfOrder


def _own_escalation(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    pending = m.pending_escalation
    assert pending is not None
    method = one_of(draw, ["approve_escalation", "deny_escalation"])
    event = "EscalationApproved" if method == "approve_escalation" else "EscalationDenied"
    by = pending.requested_by
    error = SelfApprovalForbidden if by.role in RIGHTS[event] else NotAuthorised
    return command(method, {"reason": "r", "by": by, "occurred_at": when}), error


def _wrong_approvers(m: CaseModel) -> list[Actor]:
    """People with the right to decide escalations, but not this one, and not who asked."""
    pending = m.pending_escalation
    if pending is None:
        return []
    return [
        a
        for a in CAST
        if a.role in RIGHTS["EscalationApproved"]
        and a.role not in APPROVERS[pending.to]
        and a.id != pending.requested_by.id
    ]


def _wrong_approver(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    by = one_of(draw, _wrong_approvers(m))
    return command("approve_escalation", {"reason": "r", "by": by, "occurred_at": when}), (
        NotAuthorised
    )


def _uncovered(m: CaseModel, when: datetime) -> list[RepairCoverage]:
    if not m.rmas_at(RmaStage.RECEIVED):
        return []
    return [c for c in RepairCoverage if c not in m.coverages(when)]


def _not_covered(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {
        "rma_number": one_of(draw, m.rmas_at(RmaStage.RECEIVED)),
        "work_done": "w",
        "covered_by": one_of(draw, _uncovered(m, when)),
    }
    return command("complete_repair", {**kwargs, "by": SUPERVISOR, "occurred_at": when}), (
        RepairNotCovered
    )


def _odd_people(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    if draw(st.booleans()):  # praise from someone who cannot give it
        source = one_of(draw, [a for a in CAST if a.role not in COMMENDATION_SOURCES])
        step = STEP_OF["CommendationRecorded"]
        return draw_free(draw, step, source=source, by=SUPERVISOR, occurred_at=when), (
            NotAuthorised
        )
    agent = one_of(draw, [a for a in CAST if a.role not in ASSIGNABLE])
    return command("assign_agent", {"agent": agent, "by": SUPERVISOR, "occurred_at": when}), (
        NotAuthorised
    )


def _unknown_case(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = STEP_OF["CasesLinked"]
    return draw_free(draw, step, by=SUPERVISOR, occurred_at=when), CaseNotFound


RULES: tuple[_Rule, ...] = (
    _Rule("the actor's role may not record it", _always, _by_anyone_refused, weight=3),
    _Rule("business time naive or in the future", _always, _bad_time, weight=2),
    _Rule("the lifecycle table", lambda m, w: bool(_forbidden(m)), _by_the_table, weight=3),
    _Rule(
        "a closed case accepts nothing but a reopen",
        lambda m, w: m.status is Status.CLOSED,
        _closed,
        weight=10,
    ),
    _Rule(
        "one escalation at a time",
        lambda m, w: m.pending_escalation is not None,
        _second_escalation,
        weight=10,
    ),
    _Rule("refunds never exceed payments", _open, _refund_beyond_paid, weight=2),
    _Rule(
        "refunds past the window need an exception",
        lambda m, w: (
            _open(m, w) and bool(m.refundable_currencies()) and m.refund_needs_supervisor(w)
        ),
        _past_window,
        weight=10,
    ),
    _Rule("goodwill above the limit needs a supervisor", _open, _above_limit),
    _Rule(
        "a denial answers a request",
        lambda m, w: _open(m, w) and m.refund_requested is None,
        _supervised("deny_refund", NoRefundRequested, reason="r"),
    ),
    _Rule(
        "releases never exceed holds",
        lambda m, w: _open(m, w) and bool(m.holds),
        _release_beyond_hold,
        weight=4,
    ),
    _Rule("a release names a placed hold", _open, _unknown_hold),
    _Rule(
        "a hold reference is new",
        lambda m, w: _open(m, w) and bool(m.holds),
        _hold_reused,
        weight=4,
    ),
    _Rule("a cancellation completes a request", _open, _never_requested),
    _Rule("a transfer goes elsewhere", _open, _same_department),
    _Rule("RMA steps follow an issued RMA", _open, _unknown_rma),
    _Rule("an RMA number is new", lambda m, w: _open(m, w) and bool(m.rmas), _rma_reused, weight=2),
    _Rule("RMA order", lambda m, w: _open(m, w) and bool(m.rmas), _rma_out_of_order, weight=4),
    _Rule(
        "entitlement needs the product",
        lambda m, w: _open(m, w) and m.product is None,
        _supervised("check_entitlement", ProductRequired, kind=EntitlementKind.WARRANTY),
    ),
    _Rule(
        "an escalation is decided once",
        lambda m, w: _open(m, w) and m.pending_escalation is None,
        _supervised("approve_escalation", EscalationNotPending, reason="r"),
    ),
    _Rule(
        "no one decides their own escalation",
        lambda m, w: m.pending_escalation is not None,
        _own_escalation,
        weight=12,
    ),
    _Rule(
        "only approvers decide", lambda m, w: bool(_wrong_approvers(m)), _wrong_approver, weight=4
    ),
    _Rule(
        "repairs need their cover",
        lambda m, w: _open(m, w) and bool(_uncovered(m, w)),
        _not_covered,
        weight=12,
    ),
    _Rule("commendations and assignments name the right people", _open, _odd_people),
    _Rule("a link names an existing case", _open, _unknown_case),
)


def draw_refusal(draw: st.DrawFn, model: CaseModel) -> Refusal:
    """Draw a command the desk must refuse in the model's state, and the error it raises."""
    when = draw_when(draw)
    tickets = [r for r in RULES if r.possible(model, when) for _ in range(r.weight)]
    rule = one_of(draw, tickets)
    return rule.build(draw, model, when)
