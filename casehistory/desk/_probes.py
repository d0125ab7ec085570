"""The arguments ``desk.allowed`` tries each command with.

``allowed`` does not restate a single rule: it runs the desk's own commands, rules and
all, on a copy of the case that is never saved (:mod:`casehistory.desk._allowed`). What
it needs is arguments, and this module gives, for each declared command, the few that
decide between "accepted with some arguments" and "refused with all of them": every
existing target the command could act on (each RMA, each open hold, the pending
escalation, each requested cancellation), each value of an enumerated argument whose
value a rule looks at (an RMA's coverage, a shipment's service level and payer, an
entitlement's kind), the smallest amount :class:`Money` takes in each currency that
matters (0.0001: a limit refuses the smallest amount only if it refuses every amount)
and, where the case holds an amount a command may not exceed, that amount itself (a
hold's outstanding amount, what is refundable), and for the rest a neutral text. A
command offered is one that at least one of these made record its event.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from casehistory.domain.state import CaseState, RmaStage
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Direction,
    Disposition,
    EntitlementKind,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Money,
    Payer,
    RepairCoverage,
    Role,
    ServiceLevel,
)

__all__ = ["PROBES", "Probe", "Situation"]

_TEXT = "(checking what is allowed)"
_STEP = Decimal("0.0001")
"""The smallest amount Money takes (4 decimal places)."""


@attrs.frozen
class Situation:
    """What the probes of one ``allowed`` call are drawn from."""

    state: CaseState
    by: Actor
    today: date
    other_case: Callable[[], UUID | None]
    """Another case of the store, looked up only if a link is probed (None: none)."""


@attrs.frozen
class Probe:
    """One try: the ``target`` it acts on (None: the case) and the keyword arguments."""

    target: str | None
    arguments: Mapping[str, Any]


def _currencies(state: CaseState) -> tuple[str, ...]:
    """The case's currencies and one it has none of (they all start at zero alike)."""
    held = state.ledger.currencies
    fresh = next(c for c in ("USD", "EUR", "GBP", "XTS") if c not in held)
    return (*held, fresh)


def _smallest(state: CaseState) -> list[Money]:
    return [Money(_STEP, currency) for currency in _currencies(state)]


def _up_to(limit: Money) -> list[Money]:
    """The smallest amount, and ``limit`` itself when it is more: what a command bound
    by ``limit`` accepts if it accepts any amount."""
    smallest = Money(_STEP, limit.currency)
    return [smallest] if limit.amount <= _STEP else [smallest, limit]


def _fresh(taken: Iterable[str], stem: str) -> str:
    names = set(taken)
    return next(f"{stem}-{n}" for n in itertools.count(1) if f"{stem}-{n}" not in names)


def _plain(**arguments: Any) -> Callable[[Situation], Iterator[Probe]]:
    def probes(_: Situation) -> Iterator[Probe]:
        yield Probe(None, arguments)

    return probes


def _each(
    name: str, values: Iterable[Any], **arguments: Any
) -> Callable[[Situation], Iterator[Probe]]:
    chosen = tuple(values)

    def probes(_: Situation) -> Iterator[Probe]:
        for value in chosen:
            yield Probe(None, {**arguments, name: value})

    return probes


def _assign(s: Situation) -> Iterator[Probe]:
    for agent in (s.by, Actor("any.agent", Role.AGENT)):
        yield Probe(None, {"agent": agent})


def _transfer(s: Situation) -> Iterator[Probe]:
    yield Probe(None, {"to_department": f"not {s.state.department}", "reason": _TEXT})


def _link(s: Situation) -> Iterator[Probe]:
    other = s.other_case()
    if other is not None:
        for relation in LinkKind:
            yield Probe(None, {"other_case_id": other, "relation": relation})


def _contact(s: Situation) -> Iterator[Probe]:
    for direction in Direction:
        yield Probe(None, {"channel": Channel.PHONE, "direction": direction, "summary": _TEXT})


def _commendation(s: Situation) -> Iterator[Probe]:
    sources = (
        s.by,
        Actor(s.state.customer.id, Role.CUSTOMER),
        Actor("any.supervisor", Role.SUPERVISOR),
    )
    for source in sources:
        # Praise someone who is neither the recorder nor the source (rules 2).
        taken = {s.by.id, source.id}
        praised = next(f"agent.{n}" for n in itertools.count(1) if f"agent.{n}" not in taken)
        agent = Actor(praised, Role.AGENT)
        yield Probe(None, {"agent": agent, "source": source, "text": _TEXT})


def _goodwill(s: Situation) -> Iterator[Probe]:
    for kind, value in itertools.product(GoodwillKind, _smallest(s.state)):
        yield Probe(None, {"kind": kind, "amount": value, "reason": _TEXT})


def _escalation_decision(s: Situation) -> Iterator[Probe]:
    pending = s.state.pending_escalation
    if pending is not None:
        yield Probe(str(pending.number), {"number": pending.number, "reason": _TEXT})


def _new_rma(s: Situation) -> Iterator[Probe]:
    number = _fresh(s.state.rmas, "RMA")
    for disposition in Disposition:
        yield Probe(
            None,
            {"rma_number": number, "items": _TEXT, "reason": _TEXT, "disposition": disposition},
        )


def _on_rmas(
    *combinations: Mapping[str, Any],
) -> Callable[[Situation], Iterator[Probe]]:
    def probes(s: Situation) -> Iterator[Probe]:
        for number, rma in s.state.rmas.items():
            if rma.stage in (RmaStage.REJECTED, RmaStage.CLOSED):
                continue  # ended: every step after refused by the RMA order
            for arguments in combinations:
                yield Probe(number, {"rma_number": number, **arguments})

    return probes


def _repair(s: Situation) -> Iterator[Probe]:
    costs: list[Money | None] = [None, *_smallest(s.state)]
    for number, rma in s.state.rmas.items():
        if rma.stage is RmaStage.RECEIVED:
            for covered_by, cost in itertools.product(RepairCoverage, costs):
                arguments = {"work_done": _TEXT, "covered_by": covered_by, "cost": cost}
                yield Probe(number, {"rma_number": number, **arguments})


def _amounts(**arguments: Any) -> Callable[[Situation], Iterator[Probe]]:
    def probes(s: Situation) -> Iterator[Probe]:
        for amount in _smallest(s.state):
            yield Probe(None, {"amount": amount, **arguments})

    return probes


def _refund(s: Situation) -> Iterator[Probe]:
    for currency in s.state.ledger.currencies:
        refundable = s.state.ledger.balance(currency).refundable
        if refundable.amount > 0:
            for amount in _up_to(refundable):
                yield Probe(None, {"amount": amount, "reason": _TEXT})


def _deny_refund(s: Situation) -> Iterator[Probe]:
    if s.state.refund_requested is not None:
        yield Probe("refund request", {"reason": _TEXT})


def _hold(s: Situation) -> Iterator[Probe]:
    reference = _fresh(s.state.holds, "HOLD")
    for amount in _smallest(s.state):
        arguments = {"account": _TEXT, "reference": reference, "reason": _TEXT}
        yield Probe(None, {"amount": amount, **arguments})


def _release(s: Situation) -> Iterator[Probe]:
    for hold in s.state.open_holds:
        for amount in _up_to(hold.outstanding):
            yield Probe(
                hold.reference, {"reference": hold.reference, "amount": amount, "reason": _TEXT}
            )


def _cancellation(s: Situation) -> Iterator[Probe]:
    subscription = _fresh(s.state.cancellations_requested, "subscription")
    yield Probe(None, {"subscription": subscription, "reason": _TEXT})


def _complete_cancellation(s: Situation) -> Iterator[Probe]:
    for subscription in s.state.cancellations_requested:
        yield Probe(subscription, {"subscription": subscription, "effective_on": s.today})


_RMA_STEPS_TEXT = {"reason": _TEXT}

PROBES: Mapping[str, Callable[[Situation], Iterator[Probe]]] = {
    "assign_agent": _assign,
    "transfer_case": _transfer,
    "resolve_case": _each("fault", Fault, resolution=_TEXT),
    "close_case": _plain(),
    "reopen_case": _plain(reason=_TEXT),
    "link_cases": _link,
    "log_contact": _contact,
    "add_note": _plain(text=_TEXT),
    "record_complaint": _each("category", ComplaintCategory, details=_TEXT),
    "record_commendation": _commendation,
    "record_diagnosis": _each("fault", Fault, symptom=_TEXT, finding=_TEXT, root_cause=_TEXT),
    "record_remediation": _plain(action=_TEXT),
    "check_entitlement": _each("kind", (EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY)),
    "request_escalation": _each("to", EscalationTarget, reason=_TEXT),
    "approve_escalation": _escalation_decision,
    "deny_escalation": _escalation_decision,
    "grant_goodwill": _goodwill,
    "issue_rma": _new_rma,
    "receive_return": _on_rmas({}),
    "complete_inspection": _on_rmas(
        *({"outcome": outcome, "findings": _TEXT} for outcome in InspectionOutcome)
    ),
    "complete_repair": _repair,
    "ship_replacement": _on_rmas(
        *(
            {"service_level": level, "tracking": _TEXT, "paid_by": payer}
            for level, payer in itertools.product(ServiceLevel, Payer)
        )
    ),
    "reject_rma": _on_rmas(_RMA_STEPS_TEXT),
    "close_rma": _on_rmas({}),
    "record_payment": _amounts(reference=_TEXT),
    "request_refund": _amounts(reason=_TEXT),
    "issue_refund": _refund,
    "deny_refund": _deny_refund,
    "place_hold": _hold,
    "release_hold": _release,
    "issue_credit": _amounts(reason=_TEXT),
    "request_cancellation": _cancellation,
    "complete_cancellation": _complete_cancellation,
}
"""Command name -> its probes, for every declared command but ``open_case``."""
