"""Arguments that the state of a case narrows, drawn from its model.

A step's own strategies draw well-typed arguments whatever the case. Where the case
decides what is valid (the RMA at the right stage, a refund within what was paid, a
decider who did not ask, a hold reference not yet used), the step's ``narrow`` function
here draws the argument from the :class:`~casehistory.testing.CaseModel` instead, and
its ``ready`` predicate says whether the model offers anything to draw from at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from casehistory.domain.state import RmaStage
from casehistory.domain.values import (
    Actor,
    InspectionOutcome,
    Payer,
    RepairCoverage,
    Role,
    ServiceLevel,
)
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import (
    APPROVERS,
    CASE_GOODWILL_LIMIT,
    CAST,
    COMMENDATION_SOURCES,
    GOODWILL_LIMIT,
    RIGHTS,
    SUPERVISORS,
)
from casehistory.testing._steps import Narrow, by_strategy, index, new_name, one_of
from casehistory.testing._values import actors, draw_money, money

__all__ = [
    "DEPARTMENTS",
    "HOLD_REFERENCES",
    "MAX_GOODWILL",
    "RMA_NUMBERS",
    "cancelled",
    "close",
    "closable",
    "commendation",
    "inspect",
    "shipment",
    "uninspected",
    "decider",
    "goodwill",
    "link_target",
    "new_hold",
    "new_rma",
    "open_holds",
    "other_department",
    "pending",
    "refund",
    "release",
    "repair",
    "rma_at",
]

DEPARTMENTS = ("Customer Service", "Purchasing", "Billing", "Repairs")
MAX_GOODWILL = Decimal("120.00")  # above the 50.00 limit now and then

HOLD_REFERENCES = ("HOLD-1", "HOLD-2", "HOLD-3")
RMA_NUMBERS = ("RMA-1", "RMA-2", "RMA-3")
"""References and RMA numbers come from the outside world (a card processor, the
warehouse), so a case does not get them in order: a new one is drawn among those it
has not used yet. A view that sorts them, or a store that sorts the keys of a stored
dict, then disagrees with the order in which they were placed or issued."""


def _unused(draw: st.DrawFn, names: tuple[str, ...], taken: Any, prefix: str) -> str:
    free = [name for name in names if name not in taken]
    return one_of(draw, free) if free else new_name(prefix, taken)


def new_hold(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"reference": _unused(draw, HOLD_REFERENCES, m.holds, "HOLD")}


def new_rma(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"rma_number": _unused(draw, RMA_NUMBERS, m.rmas, "RMA")}


def rma_at(*stages: RmaStage) -> tuple[Narrow, Callable[[CaseModel], bool]]:
    """The narrowing to an RMA at one of ``stages``, and whether the case has one."""

    def narrow(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
        return {"rma_number": one_of(draw, m.rmas_at(*stages))}

    return narrow, lambda m: bool(m.rmas_at(*stages))


def repair(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    covered_by = one_of(draw, m.coverages(when))
    chosen: dict[str, Any] = {
        "rma_number": one_of(draw, m.rmas_at(RmaStage.RECEIVED)),
        "covered_by": covered_by,
    }
    if covered_by is RepairCoverage.GOODWILL:
        # Rules 2: goodwill cover gives its cost, within the goodwill limits for its giver.
        cost = draw(_GOODWILL_VALUES)
        chosen.update(cost=cost, by=_goodwill_giver(draw, m, cost, "RepairCompleted"))
    return chosen


def uninspected(m: CaseModel) -> list[str]:
    """The received RMAs not inspected yet (rules 2: a return is inspected once)."""
    return [n for n in m.rmas_at(RmaStage.RECEIVED) if m.rmas[n].inspection is None]


def inspect(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"rma_number": one_of(draw, uninspected(m))}


def closable(m: CaseModel) -> list[str]:
    """The RMAs that may be closed (rules 2): received, and not found NOT_AS_DESCRIBED."""
    return [
        n
        for n in m.rmas_at(RmaStage.RECEIVED)
        if m.rmas[n].inspection is not InspectionOutcome.NOT_AS_DESCRIBED
    ]


def close(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"rma_number": one_of(draw, closable(m))}


_LEVELS = st.sampled_from(ServiceLevel)
_PAYERS = st.sampled_from(Payer)


def shipment(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    """A replacement for an open RMA; never OVERNIGHT at the company's cost, which needs
    an overnight upgrade granted for its day (rules 2), a decision the model leaves out."""
    level = draw(_LEVELS)
    payer = draw(_PAYERS)
    if level is ServiceLevel.OVERNIGHT:
        payer = Payer.CUSTOMER
    return {
        "rma_number": one_of(draw, m.rmas_at(RmaStage.ISSUED, RmaStage.RECEIVED)),
        "service_level": level,
        "paid_by": payer,
    }


_SOURCES = actors(COMMENDATION_SOURCES)


def commendation(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    """Praise of an agent who neither records it nor is its source; a customer source is
    the case's customer (rules 2)."""
    source = draw(_SOURCES)
    if source.role is Role.CUSTOMER and m.customer_id is not None:
        source = Actor(m.customer_id, Role.CUSTOMER)
    by = draw(by_strategy("CommendationRecorded"))
    agents = [a for a in CAST if a.role is Role.AGENT and a.id not in (by.id, source.id)]
    return {"agent": one_of(draw, agents), "source": source, "by": by}


_GOODWILL_VALUES = money(max_value=MAX_GOODWILL)


@functools.cache
def _supervisors(event: str) -> st.SearchStrategy[Actor]:
    return actors(set(RIGHTS[event]) & SUPERVISORS)


def _goodwill_giver(draw: st.DrawFn, m: CaseModel, value: Any, event: str) -> Actor:
    """Who may give ``value`` of goodwill on the case: a supervisor above the limit of
    one grant or above the case's limit in all (rules 2), else anyone with the right."""
    above = (
        value.amount > GOODWILL_LIMIT
        or m.goodwill(value.currency) + value.amount > CASE_GOODWILL_LIMIT
    )
    return draw(_supervisors(event) if above else by_strategy(event))


def _within_limit(event: str) -> Callable[[st.DrawFn, Any], Actor]:
    """Who may grant ``value``: anyone with the right, above the limit only supervisors."""
    anyone, supervisors = by_strategy(event), actors(set(RIGHTS[event]) & SUPERVISORS)
    return lambda draw, value: draw(supervisors if value.amount > GOODWILL_LIMIT else anyone)


def goodwill(event: str) -> Narrow:
    """Goodwill or credit up to :data:`MAX_GOODWILL`, by someone who may grant that much."""
    decide = _within_limit(event)
    values = money(max_value=MAX_GOODWILL)

    def narrow(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
        value = draw(values)
        if event == "GoodwillGranted":
            return {"amount": value, "by": _goodwill_giver(draw, m, value, event)}
        return {"amount": value, "by": decide(draw, value)}

    return narrow


def pending(m: CaseModel) -> bool:
    return m.pending_escalation is not None


def decider(event: str) -> Narrow:
    """Someone who may decide the pending escalation: an approver, never who asked."""

    def narrow(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
        escalation = m.pending_escalation
        assert escalation is not None
        allowed = APPROVERS[escalation.to] & RIGHTS[event]
        deciders = [a for a in CAST if a.role in allowed and a.id != escalation.requested_by.id]
        return {"number": escalation.number, "by": one_of(draw, deciders)}

    return narrow


_refund_by = by_strategy("RefundIssued")
_refund_supervisors = actors(RIGHTS["RefundIssued"] & SUPERVISORS)


def refund(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    currency = one_of(draw, m.refundable_currencies())
    amount = draw_money(draw, currency, m.refundable(currency))
    # Past the return window, with no approved exception, only a supervisor refunds.
    by = draw(_refund_supervisors if m.refund_needs_supervisor(when) else _refund_by)
    return {"amount": amount, "by": by}


def open_holds(m: CaseModel) -> list[str]:
    """The references of the holds with at least 0.01 still held."""
    return [h.reference for h in m.open_holds if h.outstanding.amount >= Decimal("0.01")]


def release(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    hold = m.holds[one_of(draw, open_holds(m))]
    left = hold.outstanding
    # All of what is left (the simplest) or part of it.
    whole = index(draw, 2) == 0
    amount = left if whole else draw_money(draw, left.currency, left.amount)
    return {"reference": hold.reference, "amount": amount}


def other_department(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"to_department": one_of(draw, [d for d in DEPARTMENTS if d != m.department])}


def link_target(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"other_case_id": one_of(draw, m.link_targets)}


def cancelled(draw: st.DrawFn, m: CaseModel, when: datetime) -> dict[str, Any]:
    return {"subscription": one_of(draw, sorted(m.cancellations))}
