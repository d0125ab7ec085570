"""What a drawn history reaches, as labels: the states and stories that bugs hide in.

:func:`labels_of` reads a history (its opening, its commands and the model after each)
and names what it reached: each status, a reopen, a refund after a reopen, an exception
to policy, an RMA rejected or inspected, money in two currencies, a late entry, a money
command whose month differs in UTC and in its own zone... :func:`case_histories` reports
them with ``hypothesis.event()``, so ``pytest --hypothesis-show-statistics`` shows how
often each was reached, and steers part of its histories towards one of them
(:data:`PLANS`; ``case_histories(reaching=...)`` steers every history).

A plan is a list of goals, each the lifecycle row of a step to take (with arguments it
must have, where one matters: the target of an escalation) or a status to reach. The
route to a step not allowed in the case's status goes through the status graph of the
lifecycle table (:func:`towards`).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from casehistory.domain.lifecycle import Status
from casehistory.domain.state import EscalationOutcome
from casehistory.domain.values import Direction, Money
from casehistory.testing._commands import Command
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import EXCEPTIONS, LIFECYCLE
from casehistory.testing._vocabulary import STEP_OF

__all__ = [
    "LABELS",
    "PLANS",
    "Goal",
    "allowed_in",
    "done",
    "labels_of",
    "next_key",
    "towards",
]

_STATUSES = (
    Status.OPEN,
    Status.AWAITING_CUSTOMER,
    Status.ESCALATED,
    Status.AWAITING_RETURN,
    Status.IN_SERVICE,
    Status.RESOLVED,
    Status.CLOSED,
)


def _money_commands(commands: Sequence[Command]) -> Iterable[Command]:
    return (c for c in commands if isinstance(c.kwargs.get("amount"), Money))


def _month(when: datetime) -> tuple[int, int]:
    return when.year, when.month


def _late(opening: Mapping[str, Any], commands: Sequence[Command]) -> bool:
    latest = opening.get("occurred_at")
    for command in commands:
        when = command.kwargs["occurred_at"]
        if latest is not None and when < latest:
            return True
        latest = when if latest is None else max(latest, when)
    return False


def _local_month(commands: Sequence[Command]) -> bool:
    return any(
        _month(c.kwargs["occurred_at"]) != _month(c.kwargs["occurred_at"].astimezone(UTC))
        for c in _money_commands(commands)
    )


def _after_reopen(method: str) -> Callable[[Sequence[Command]], bool]:
    def reached(commands: Sequence[Command]) -> bool:
        reopened = False
        for command in commands:
            reopened = reopened or command.method == "reopen_case"
            if reopened and command.method == method:
                return True
        return False

    return reached


def _customer_first(commands: Sequence[Command]) -> bool:
    contacts = [c for c in commands if c.method == "log_contact"]
    return bool(contacts) and contacts[0].kwargs["direction"] is Direction.INBOUND


def _exception(model: CaseModel) -> bool:
    return any(
        e.outcome is EscalationOutcome.APPROVED and e.to in EXCEPTIONS for e in model.escalations
    )


def _currencies(model: CaseModel) -> bool:
    return len(model.ledger) >= 2


def _inspected(model: CaseModel) -> bool:
    return any(r.inspection is not None for r in model.rmas.values())


def _rejected(model: CaseModel) -> bool:
    return any(r.stage.name == "REJECTED" for r in model.rmas.values())


def labels_of(
    opening: Mapping[str, Any], commands: Sequence[Command], models: Sequence[CaseModel]
) -> list[str]:
    """The labels a history reached, in the order of :data:`LABELS`.

    ``models``: the model after the opening and after each command."""
    statuses = {m.status for m in models}
    last = models[-1]
    reached = {
        **{f"reached {s.name}": s in statuses for s in _STATUSES},
        "reopened": any(c.method == "reopen_case" for c in commands),
        "refund after reopen": _after_reopen("issue_refund")(commands),
        "policy exception": _exception(last),
        "RMA inspected": _inspected(last),
        "RMA rejected": _rejected(last),
        "hold released": any(c.method == "release_hold" for c in commands),
        "multi-currency": _currencies(last),
        "late entry": _late(opening, commands),
        "month differs in UTC": _local_month(commands),
        "customer wrote first": _customer_first(commands),
    }
    return [label for label in LABELS if reached[label]]


@attrs.frozen
class Goal:
    """One goal of a plan: take step ``key`` (with ``fixed`` arguments), or reach
    ``status`` when ``key`` is None."""

    key: str | None = None
    status: Status | None = None
    fixed: Mapping[str, Any] = attrs.field(factory=dict)


def _take(key: str, **fixed: Any) -> Goal:
    return Goal(key, fixed=fixed)


_EXCEPTION_TARGET = EXCEPTIONS[0]

PLANS: Mapping[str, tuple[Goal, ...]] = {
    **{f"reached {s.name}": (Goal(status=s),) for s in _STATUSES},
    "reopened": (_take("CaseReopened"),),
    "refund after reopen": (
        _take("PaymentRecorded"),
        _take("CaseReopened"),
        _take("RefundIssued"),
    ),
    "policy exception": (
        _take("EscalationRequested", to=_EXCEPTION_TARGET),
        _take("EscalationApproved"),
    ),
    "RMA inspected": (_take("RmaIssued"), _take("ReturnReceived"), _take("InspectionCompleted")),
    "RMA rejected": (_take("RmaIssued"), _take("RmaRejected")),
    "hold released": (_take("HoldPlaced"), _take("HoldReleased")),
    "multi-currency": (_take("PaymentRecorded"), _take("HoldPlaced"), _take("PaymentRecorded")),
    "late entry": (),
    "month differs in UTC": (_take("PaymentRecorded"), _take("RefundIssued")),
    "customer wrote first": (_take("ContactLogged (inbound)"),),
}
"""What a history steered towards each label takes, goal after goal. Late entries and
months that differ in UTC come from the business times (see ``forward_time``), not from
the steps: their plans are empty or only make money move."""

LABELS: tuple[str, ...] = tuple(PLANS)
"""Every label :func:`labels_of` reports, and that ``reaching=`` accepts."""


@functools.cache
def _leads(status: Status) -> dict[Status, str]:
    """status -> a row leading there from ``status`` (one step away)."""
    return {
        row[status]: key
        for key, row in LIFECYCLE.items()
        if status in row and row[status] is not status and key != "CustomerForgotten"
    }


@functools.cache
def towards(status: Status, wanted: frozenset[Status]) -> str | None:
    """The first lifecycle row on a shortest path from ``status`` to one of ``wanted``
    (None when ``status`` is one of them, or none can be reached)."""
    if status in wanted:
        return None
    first: dict[Status, str] = {}
    queue = deque([status])
    seen = {status}
    while queue:
        at = queue.popleft()
        for to, key in _leads(at).items():
            if to in seen:
                continue
            seen.add(to)
            first[to] = first.get(at, key)
            if to in wanted:
                return first[to]
            queue.append(to)
    return None


def allowed_in(key: str) -> frozenset[Status]:
    """The statuses where lifecycle row ``key`` is allowed."""
    return frozenset(s for s in LIFECYCLE[key] if isinstance(s, Status))


def done(goal: Goal, command: Command, model: CaseModel) -> bool:
    """Whether ``goal`` is met once ``command`` led to ``model``."""
    if goal.key is None:
        return model.status is goal.status
    return command.lifecycle_key == goal.key and all(
        command.kwargs.get(name) == value for name, value in goal.fixed.items()
    )


def next_key(model: CaseModel, goal: Goal) -> str | None:
    """The lifecycle row of the step that moves the case towards ``goal`` now: the goal's
    own step if the case takes it, else the first step towards a status that allows it
    (or towards the goal's status). None when that step is not ready (the plan waits:
    a refund with nothing paid, a status only an RMA leaves)."""
    if goal.key is None:
        assert goal.status is not None
        key = towards(model.status, frozenset({goal.status}))
    elif model.allows(goal.key):
        key = goal.key
    else:
        key = towards(model.status, allowed_in(goal.key))
    if key is None:
        return None
    step = STEP_OF[key]
    return key if model.allows(key) and (step.ready is None or step.ready(model)) else None
