"""Commands refused for what the case holds: money, holds, RMAs, cover, requests.

Each builder takes the model of the case and the business time of the command, and
returns a command that breaks its rule, by a supervisor (who may record anything the
rule is about), and no rule the desk checks before it. The rules about who, when and in
which status are in :mod:`casehistory.testing._access_refusals`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from casehistory.domain.state import RmaStage
from casehistory.domain.values import GoodwillKind, InspectionOutcome, Money, RepairCoverage
from casehistory.errors import (
    CancellationNotRequested,
    CaseHistoryError,
    CurrencyMismatch,
    GoodwillAboveLimit,
    HoldNotFound,
    InvalidInput,
    PolicyExceptionRequired,
    RefundExceedsPaid,
    ReleaseExceedsHold,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
)
from casehistory.testing._access_refusals import AGENT, SUPERVISOR, Refusal
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import GOODWILL_LIMIT
from casehistory.testing._steps import command, draw_free, new_name, one_of
from casehistory.testing._values import CURRENCIES, money
from casehistory.testing._vocabulary import STEP_OF

__all__ = [
    "above_limit",
    "hold_reused",
    "never_requested",
    "not_covered",
    "past_window",
    "refund_beyond_paid",
    "release_beyond_hold",
    "rma_out_of_order",
    "rma_reused",
    "same_department",
    "supervised",
    "uncovered",
    "unknown_hold",
    "unknown_rma",
]

_OVER = st.integers(1, 10_000).map(lambda cents: Decimal(cents).scaleb(-2))
_ABOVE_LIMIT = money(min_value=GOODWILL_LIMIT + Decimal("0.01"), max_value=999)


def refund_beyond_paid(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    currency = one_of(draw, CURRENCIES)
    amount = Money(m.refundable(currency) + draw(_OVER), currency)
    kwargs: dict[str, Any] = {
        "amount": amount,
        "reason": "r",
        "by": SUPERVISOR,
        "occurred_at": when,
    }
    return command("issue_refund", kwargs), RefundExceedsPaid


def past_window(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    currency = one_of(draw, m.refundable_currencies())
    amount = draw(money(currency, max_value=m.refundable(currency)))
    kwargs: dict[str, Any] = {"amount": amount, "reason": "r", "by": AGENT, "occurred_at": when}
    return command("issue_refund", kwargs), PolicyExceptionRequired


def above_limit(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    value = draw(_ABOVE_LIMIT)
    if draw(st.booleans()):
        kwargs: dict[str, Any] = {"amount": value, "reason": "r", "by": AGENT, "occurred_at": when}
        return command("issue_credit", kwargs), GoodwillAboveLimit
    kwargs = {
        "kind": GoodwillKind.CREDIT,
        "amount": value,
        "reason": "r",
        "by": AGENT,
    }
    return command("grant_goodwill", {**kwargs, "occurred_at": when}), GoodwillAboveLimit


def supervised(
    method: str, error: type[CaseHistoryError], **kwargs: object
) -> Callable[[st.DrawFn, CaseModel, datetime], Refusal]:
    """``method`` with fixed ``kwargs``, by a supervisor: refused with ``error``."""

    def build(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
        return command(method, {**kwargs, "by": SUPERVISOR, "occurred_at": when}), error

    return build


def release_beyond_hold(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    hold = m.holds[one_of(draw, sorted(m.holds))]
    over = hold.outstanding.amount + draw(_OVER)
    other = next(c for c in CURRENCIES if c != hold.amount.currency)
    amount, error = one_of(
        draw,
        [
            (Money(over, hold.amount.currency), ReleaseExceedsHold),
            (Money(over, other), CurrencyMismatch),
        ],
    )
    kwargs: dict[str, Any] = {
        "reference": hold.reference,
        "amount": amount,
        "reason": "r",
        "by": SUPERVISOR,
    }
    return command("release_hold", {**kwargs, "occurred_at": when}), error


def unknown_hold(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {
        "reference": new_name("NO-HOLD", m.holds),
        "amount": Money("1.00", "USD"),
    }
    kwargs |= {"reason": "r", "by": SUPERVISOR, "occurred_at": when}
    return command("release_hold", kwargs), HoldNotFound


def hold_reused(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {"amount": Money("1.00", "USD"), "account": "acct", "reason": "r"}
    kwargs |= {"reference": one_of(draw, sorted(m.holds)), "by": SUPERVISOR}
    return command("place_hold", {**kwargs, "occurred_at": when}), InvalidInput


def never_requested(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {"subscription": new_name("never-asked", m.cancellations)}
    kwargs |= {"effective_on": when.date(), "by": SUPERVISOR, "occurred_at": when}
    return command("complete_cancellation", kwargs), CancellationNotRequested


def same_department(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {"to_department": m.department, "reason": "r", "by": SUPERVISOR}
    return command("transfer_case", {**kwargs, "occurred_at": when}), InvalidInput


def unknown_rma(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    method = one_of(draw, ["receive_return", "reject_rma", "close_rma"])
    kwargs: dict[str, Any] = {
        "rma_number": new_name("NO-RMA", m.rmas),
        "by": SUPERVISOR,
        "occurred_at": when,
    }
    return command(method, kwargs | ({"reason": "r"} if method == "reject_rma" else {})), (
        RmaNotFound
    )


def rma_reused(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = STEP_OF["RmaIssued"]
    number = one_of(draw, sorted(m.rmas))
    return draw_free(draw, step, rma_number=number, by=SUPERVISOR, occurred_at=when), InvalidInput


def rma_out_of_order(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
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


def uncovered(m: CaseModel, when: datetime) -> list[RepairCoverage]:
    """The covers a repair done ``when`` may not claim (none without a return in service)."""
    if not m.rmas_at(RmaStage.RECEIVED):
        return []
    return [c for c in RepairCoverage if c not in m.coverages(when)]


def not_covered(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    kwargs: dict[str, Any] = {
        "rma_number": one_of(draw, m.rmas_at(RmaStage.RECEIVED)),
        "work_done": "w",
        "covered_by": one_of(draw, uncovered(m, when)),
    }
    return command("complete_repair", {**kwargs, "by": SUPERVISOR, "occurred_at": when}), (
        RepairNotCovered
    )
