"""Commands the desk must refuse at a point of a history, and the error each must raise.

One :class:`RefusalRule` per rule of the desk: when the model's state lets it be broken,
and how to build a command that breaks it and no rule checked before it. The builders
are in :mod:`casehistory.testing._access_refusals` (who, when, in which status) and
:mod:`casehistory.testing._fact_refusals` (money, holds, returns).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs
from hypothesis import strategies as st

from casehistory.domain.lifecycle import Status
from casehistory.domain.values import EntitlementKind
from casehistory.errors import NoRefundRequested, ProductRequired
from casehistory.testing._access_refusals import (
    Refusal,
    bad_time,
    by_someone_refused,
    by_the_table,
    case_exists,
    closed,
    decided_again,
    forbidden,
    odd_people,
    own_escalation,
    second_escalation,
    unknown_case,
    wrong_approver,
    wrong_approvers,
)
from casehistory.testing._fact_refusals import (
    above_limit,
    hold_reused,
    never_requested,
    not_covered,
    past_window,
    refund_beyond_paid,
    release_beyond_hold,
    rma_out_of_order,
    rma_reused,
    same_department,
    supervised,
    uncovered,
    unknown_hold,
    unknown_rma,
)
from casehistory.testing._model import CaseModel
from casehistory.testing._steps import draw_when, stable_choice, tickets

__all__ = ["RULES", "Refusal", "RefusalRule", "draw_refusal"]


@attrs.frozen
class RefusalRule:
    """A rule of the desk: when a case can break it, and a command that does."""

    name: str
    possible: Callable[[CaseModel, datetime], bool]
    build: Callable[[st.DrawFn, CaseModel, datetime], Refusal]
    weight: int = 1
    """Tickets in the draw. Rules that only a rare state can break have many: a state
    machine draws most of its choices by copying those of earlier steps, in other states."""


def _open(m: CaseModel, when: datetime) -> bool:
    return m.status is not Status.CLOSED


def _always(m: CaseModel, when: datetime) -> bool:
    return True


RULES: tuple[RefusalRule, ...] = (
    # The simplest first: Hypothesis shrinks towards the first rule the case can break.
    RefusalRule("the actor's role may not record it", _always, by_someone_refused, weight=3),
    RefusalRule("business time naive or in the future", _always, bad_time, weight=2),
    RefusalRule("the lifecycle table", lambda m, w: bool(forbidden(m)), by_the_table, weight=3),
    RefusalRule(
        "a closed case accepts nothing but a reopen",
        lambda m, w: m.status is Status.CLOSED,
        closed,
        weight=30,
    ),
    RefusalRule(
        "one escalation at a time",
        lambda m, w: m.pending_escalation is not None,
        second_escalation,
        weight=20,
    ),
    RefusalRule("refunds never exceed payments", _open, refund_beyond_paid, weight=2),
    RefusalRule(
        "refunds past the window need an exception",
        lambda m, w: (
            _open(m, w) and bool(m.refundable_currencies()) and m.refund_needs_supervisor(w)
        ),
        past_window,
        weight=30,
    ),
    RefusalRule("goodwill above the limit needs a supervisor", _open, above_limit),
    RefusalRule(
        "a denial answers a request",
        lambda m, w: _open(m, w) and m.refund_requested is None,
        supervised("deny_refund", NoRefundRequested, reason="r"),
    ),
    RefusalRule(
        "releases never exceed holds",
        lambda m, w: _open(m, w) and bool(m.holds),
        release_beyond_hold,
        weight=4,
    ),
    RefusalRule("a release names a placed hold", _open, unknown_hold),
    RefusalRule(
        "a hold reference is new",
        lambda m, w: _open(m, w) and bool(m.holds),
        hold_reused,
        weight=4,
    ),
    RefusalRule("a cancellation completes a request", _open, never_requested),
    RefusalRule("a transfer goes elsewhere", _open, same_department),
    RefusalRule("RMA steps follow an issued RMA", _open, unknown_rma),
    RefusalRule(
        "an RMA number is new", lambda m, w: _open(m, w) and bool(m.rmas), rma_reused, weight=2
    ),
    RefusalRule("RMA order", lambda m, w: _open(m, w) and bool(m.rmas), rma_out_of_order, weight=4),
    RefusalRule(
        "entitlement needs the product",
        lambda m, w: _open(m, w) and m.product is None,
        supervised("check_entitlement", ProductRequired, kind=EntitlementKind.WARRANTY),
    ),
    RefusalRule(
        "an escalation is decided once",
        lambda m, w: _open(m, w) and m.pending_escalation is None,
        decided_again,
    ),
    RefusalRule(
        "no one decides their own escalation",
        lambda m, w: m.pending_escalation is not None,
        own_escalation,
        weight=40,
    ),
    RefusalRule(
        "only approvers decide",
        lambda m, w: bool(wrong_approvers(m)),
        wrong_approver,
        weight=4,
    ),
    RefusalRule(
        "repairs need their cover",
        lambda m, w: _open(m, w) and bool(uncovered(m, w)),
        not_covered,
        weight=30,
    ),
    RefusalRule("commendations and assignments name the right people", _open, odd_people),
    RefusalRule("a link names an existing case", _open, unknown_case),
    RefusalRule("a case id is opened once", _always, case_exists),
)
"""Every rule a command on an existing case can break, with the desk's clock steady."""

_TICKETS = tickets(RULES)


def draw_refusal(draw: st.DrawFn, model: CaseModel) -> Refusal:
    """Draw a command the desk must refuse in the model's state, and the error it raises."""
    when = model.in_bounds(draw_when(draw))
    possible = tickets((rule for rule in RULES if rule.possible(model, when)), heaviest_first=True)
    rule = stable_choice(draw, _TICKETS, possible)
    return rule.build(draw, model, when)
