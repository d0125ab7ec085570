"""Every desk command after ``open_case``, one :class:`Step` per lifecycle row, and the
draw of the next command a case accepts.

Arguments that the case narrows are drawn by :mod:`casehistory.testing._narrowing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from casehistory.domain.state import RmaStage
from casehistory.domain.values import (
    Actor,
    Direction,
    EntitlementKind,
    Role,
)
from casehistory.testing._arguments import argument_strategies
from casehistory.testing._commands import EVENT_OF, Command
from casehistory.testing._model import CaseModel
from casehistory.testing._narrowing import (
    DEPARTMENTS,
    HOLD_REFERENCES,
    MAX_GOODWILL,
    RMA_NUMBERS,
    cancelled,
    closable,
    close,
    commendation,
    decider,
    goodwill,
    inspect,
    link_target,
    new_hold,
    new_rma,
    open_holds,
    other_department,
    pending,
    refund,
    release,
    repair,
    rma_at,
    shipment,
    uninspected,
)
from casehistory.testing._rules import ASSIGNABLE, CAST, COMMENDATION_SOURCES, RIGHTS, SUPERVISORS
from casehistory.testing._steps import (
    Narrow,
    Step,
    by_strategy,
    draw_in,
    draw_when,
    stable_choice,
    tickets,
)
from casehistory.testing._values import actors, money, texts

__all__ = ["DEPARTMENTS", "STEPS", "STEP_OF", "draw_next", "enabled"]

SUBSCRIPTIONS = ("care plan", "cloud backup")


def enabled(model: CaseModel) -> list[Step]:
    """The steps the desk must accept now: the table allows them and the model is ready."""
    return [s for s in STEPS if model.allows(s.key) and (s.ready is None or s.ready(model))]


def draw_next(draw: st.DrawFn, model: CaseModel) -> Command:
    """Draw one command that the desk must accept in the model's state.

    Each step gets ``weight`` tickets: the steps that move a case on through its
    lifecycle (assignment, RMA stages, decisions, refunds) more than notes, so that
    histories of a few dozen commands reach every event type. The step is chosen with
    :func:`~casehistory.testing._steps.stable_choice`, so that the shrinker can delete
    earlier commands without changing later ones."""
    step = stable_choice(draw, _TICKETS, tickets(enabled(model), heaviest_first=True))
    return draw_in(draw, step, model, draw_when(draw))


# Every command ---------------------------------------------------------------------------

_RMA_NUMBERS = st.sampled_from(RMA_NUMBERS)
_REFERENCES = st.sampled_from(HOLD_REFERENCES)
_SUBSCRIPTION = st.sampled_from(SUBSCRIPTIONS) | texts
_issued, _issued_ready = rma_at(RmaStage.ISSUED)
_received, _received_ready = rma_at(RmaStage.RECEIVED)
_open_rma, _open_rma_ready = rma_at(RmaStage.ISSUED, RmaStage.RECEIVED)


def _step(
    key: str,
    method: str,
    *,
    narrow: Narrow | None = None,
    ready: Callable[[CaseModel], bool] | None = None,
    weight: int = 1,
    customer: bool = False,
    by: st.SearchStrategy[Actor] | None = None,
    **written: st.SearchStrategy[Any],
) -> Step:
    """The step of lifecycle row ``key``: command ``method``, its arguments drawn by the
    ``written`` strategies, the others by their defaults (see ``_arguments``)."""
    if by is None:
        by = by_strategy(EVENT_OF[method], customer=customer)
    return Step(key, method, argument_strategies(method, written), by, narrow, ready, weight)


def _contact(key: str, direction: Direction, awaiting: bool) -> Step:
    return _step(
        key,
        "log_contact",
        customer=direction is Direction.INBOUND,
        direction=st.just(direction),
        awaiting_reply=st.just(awaiting),
    )


_ENTITLEMENTS = st.sampled_from([EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY])
# A supervisor escalating (to a manager, to legal) is the case where "never the person who
# asked" is all that stops them deciding it: drawn first, and as the simplest.
_SUPERVISORS_FIRST = st.sampled_from(
    sorted(
        (a for a in CAST if a.role in RIGHTS["EscalationRequested"]),
        key=lambda a: a.role not in SUPERVISORS,
    )
)
_AGENTS = actors({Role.AGENT})
_ESCALATIONS = st.integers(1, 3)  # a free draw; in a history, the pending one's number

# Only the arguments that need narrowing or a draw of their own are written here; the
# others are drawn by the defaults of their types (casehistory.testing._arguments).
STEPS: tuple[Step, ...] = (
    # The simplest first: Hypothesis shrinks towards the first step the model allows.
    _step("NoteAdded", "add_note"),
    _contact("ContactLogged (inbound)", Direction.INBOUND, False),
    _contact("ContactLogged (outbound)", Direction.OUTBOUND, False),
    _contact("ContactLogged (outbound, awaiting reply)", Direction.OUTBOUND, True),
    _step("ComplaintRecorded", "record_complaint"),
    _step(
        "CommendationRecorded",
        "record_commendation",
        narrow=commendation,
        agent=_AGENTS,
        source=actors(COMMENDATION_SOURCES),
    ),
    _step(
        "CaseTransferred",
        "transfer_case",
        narrow=other_department,
        to_department=st.sampled_from(DEPARTMENTS),
    ),
    _step("CasesLinked", "link_cases", narrow=link_target, ready=lambda m: bool(m.link_targets)),
    _step("CaseResolved", "resolve_case", weight=4),
    _step("CaseClosed", "close_case", weight=4),
    _step("CaseReopened", "reopen_case", weight=3),
    _step("DiagnosisRecorded", "record_diagnosis"),
    _step("RemediationPerformed", "record_remediation"),
    _step(
        "EntitlementChecked",
        "check_entitlement",
        ready=lambda m: m.product is not None,
        weight=3,
        kind=_ENTITLEMENTS,
    ),
    _step("EscalationRequested", "request_escalation", weight=8, by=_SUPERVISORS_FIRST),
    _step(
        "EscalationApproved",
        "approve_escalation",
        narrow=decider("EscalationApproved"),
        ready=pending,
        weight=5,
        number=_ESCALATIONS,
    ),
    _step(
        "EscalationDenied",
        "deny_escalation",
        narrow=decider("EscalationDenied"),
        ready=pending,
        weight=5,
        number=_ESCALATIONS,
    ),
    _step(
        "GoodwillGranted",
        "grant_goodwill",
        narrow=goodwill("GoodwillGranted"),
        amount=money(max_value=MAX_GOODWILL),
    ),
    _step("RmaIssued", "issue_rma", narrow=new_rma, weight=3, rma_number=_RMA_NUMBERS),
    _step(
        "ReturnReceived",
        "receive_return",
        narrow=_issued,
        ready=_issued_ready,
        weight=10,
        rma_number=_RMA_NUMBERS,
    ),
    _step(
        "InspectionCompleted",
        "complete_inspection",
        narrow=inspect,
        ready=lambda m: bool(uninspected(m)),
        weight=6,
        rma_number=_RMA_NUMBERS,
    ),
    _step(
        "RepairCompleted",
        "complete_repair",
        narrow=repair,
        ready=_received_ready,
        weight=6,
        rma_number=_RMA_NUMBERS,
    ),
    _step(
        "ReplacementShipped",
        "ship_replacement",
        narrow=shipment,
        ready=_open_rma_ready,
        weight=3,
        rma_number=_RMA_NUMBERS,
    ),
    _step(
        "RmaRejected",
        "reject_rma",
        narrow=_open_rma,
        ready=_open_rma_ready,
        weight=3,
        rma_number=_RMA_NUMBERS,
    ),
    _step(
        "RmaClosed",
        "close_rma",
        narrow=close,
        ready=lambda m: bool(closable(m)),
        weight=3,
        rma_number=_RMA_NUMBERS,
    ),
    _step("PaymentRecorded", "record_payment"),
    _step("RefundRequested", "request_refund"),
    _step(
        "RefundIssued",
        "issue_refund",
        narrow=refund,
        ready=lambda m: bool(m.refundable_currencies()),
        weight=3,
    ),
    _step(
        "RefundDenied",
        "deny_refund",
        ready=lambda m: m.refund_requested is not None,
        weight=3,
    ),
    _step(
        "HoldPlaced",
        "place_hold",
        narrow=new_hold,
        weight=2,
        amount=money(max_value=Decimal("9000.00")),
        reference=_REFERENCES,
    ),
    _step(
        "HoldReleased",
        "release_hold",
        narrow=release,
        ready=lambda m: bool(open_holds(m)),
        weight=3,
        reference=_REFERENCES,
    ),
    _step(
        "CreditIssued",
        "issue_credit",
        narrow=goodwill("CreditIssued"),
        amount=money(max_value=MAX_GOODWILL),
    ),
    _step("CancellationRequested", "request_cancellation", subscription=_SUBSCRIPTION),
    _step(
        "CancellationCompleted",
        "complete_cancellation",
        narrow=cancelled,
        ready=lambda m: bool(m.cancellations),
        weight=3,
        subscription=_SUBSCRIPTION,
    ),
    # Often: a new case takes little else that moves it on.
    _step("AgentAssigned", "assign_agent", weight=3, agent=actors(ASSIGNABLE)),
)
"""Every command after ``open_case``, one step per lifecycle row."""

STEP_OF: Mapping[str, Step] = {step.key: step for step in STEPS}

_TICKETS = tickets(STEPS)
