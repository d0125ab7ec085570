"""An independent model of one case: what the desk must answer after a run of commands.

It decides with its own copy of the rules (:mod:`casehistory.testing._rules`), not the
domain's, and keeps its facts in the library's value types so that they compare
directly with a :class:`~casehistory.CaseView`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from casehistory.domain.ledger import Balance, Hold
from casehistory.domain.lifecycle import Status
from casehistory.domain.sealed import ERASED
from casehistory.domain.state import CaseLink, Escalation, EscalationOutcome, Rma, RmaStage
from casehistory.domain.values import (
    Actor,
    EntitlementKind,
    EscalationTarget,
    Fault,
    Money,
    Payer,
    Product,
    RepairCoverage,
)
from casehistory.testing._commands import Command, _OtherCase
from casehistory.testing._rules import (
    EXCEPTIONS,
    FIRST_DEPARTMENT,
    LIFECYCLE,
    PERSONAL,
    RETURN_WINDOW_DAYS,
    WARRANTY_DAYS,
)

__all__ = ["CaseModel"]


def _add(ledger: Mapping[str, Balance], column: str, money: Money) -> dict[str, Balance]:
    before = ledger.get(money.currency) or Balance(money.currency)
    after = attrs.evolve(before, **{column: getattr(before, column) + money.amount})
    return {**ledger, money.currency: after}


def _targets(value: Iterable[UUID | _OtherCase]) -> tuple[UUID | _OtherCase, ...]:
    return tuple(value)


@attrs.frozen
class CaseModel:
    """What one case must be after the commands applied to the model so far.

    A model is immutable: :meth:`after` returns the model one command later. Start one
    from the keywords the case was opened with (its product, customer and business time:
    under rules 2 no command precedes the opening and only the case's own customer speaks
    on it) and, for links, the ids of other existing cases::

        model = CaseModel.of_opening(opening, link_targets=(other_case_id,))
        model = model.after(command)  # once the desk accepted the command

    ``CaseModel(product)`` alone knows no opening: what it draws may be dated before the
    case opened, or be spoken by another customer, and a desk refuses both.

    The fields use the library's own value types, so they compare directly with a
    :class:`~casehistory.CaseView`: ``view.status == model.status``,
    ``view.ledger == Ledger.of(model.ledger)`` (the model keeps the state's decimal
    totals; :class:`~casehistory.Ledger` shows them as money),
    ``view.open_holds == model.open_holds``,
    ``view.escalations == model.escalations``, ``view.rmas == tuple(model.rmas.values())``.
    ``links`` name :data:`OTHER_CASE` where a drawn history links to its other case.

    The model decides with the default :class:`~casehistory.Policies` (30-day return
    window, 365-day warranty, 50.00 goodwill limit) and its own copy of the lifecycle
    and rights tables. It does not predict the recorded policy decisions.
    """

    product: Product | None = None
    link_targets: tuple[UUID | _OtherCase, ...] = attrs.field(default=(), converter=_targets)
    status: Status = Status.NEW
    version: int = 1
    agent: Actor | None = None
    department: str = FIRST_DEPARTMENT
    fault: Fault = Fault.UNDETERMINED
    known_issue: str | None = None
    refund_requested: Money | None = None
    cancellations: frozenset[str] = frozenset()
    ledger: Mapping[str, Balance] = attrs.field(factory=dict)
    holds: Mapping[str, Hold] = attrs.field(factory=dict)
    escalations: tuple[Escalation, ...] = ()
    rmas: Mapping[str, Rma] = attrs.field(factory=dict)
    links: tuple[CaseLink, ...] = ()
    opened_at: datetime | None = None
    """When the case opened: no command of a case held to rules 2 happens before it."""
    customer_id: str | None = None
    """The case's customer: the only CUSTOMER actor who speaks on it (rules 2)."""
    forgotten: bool = False
    """The case's customer was forgotten (:meth:`after_forgetting`): the desk shows each
    personal text as erased, and refuses every command that carries one."""

    @classmethod
    def of_opening(
        cls, opening: Mapping[str, Any], link_targets: Iterable[UUID | _OtherCase] = ()
    ) -> CaseModel:
        """The model of a case just opened with ``open_case(**opening)``."""
        customer = opening.get("customer")
        return cls(
            opening.get("product"),
            tuple(link_targets),
            opened_at=opening.get("occurred_at"),
            customer_id=None if customer is None else customer.id,
        )

    def in_bounds(self, when: datetime) -> datetime:
        """``when``, or the opening if it is earlier (the business-time bound)."""
        return when if self.opened_at is None or when >= self.opened_at else self.opened_at

    def goodwill(self, currency: str) -> Decimal:
        """The case's goodwill in ``currency`` so far (grants and goodwill repairs)."""
        return self.balance(currency).goodwill

    # What the desk must answer -----------------------------------------------------------

    def allows(self, key: str) -> bool:
        """Whether the lifecycle table allows ``key`` (an event type, or a contact's row)."""
        return self.status in LIFECYCLE[key]

    def balance(self, currency: str) -> Balance:
        """The running totals of ``currency`` (zeros when none was recorded)."""
        return self.ledger.get(currency) or Balance(currency)

    def refundable(self, currency: str) -> Decimal:
        """What may still be refunded in ``currency``: paid minus refunded."""
        balance = self.balance(currency)
        return balance.paid - balance.refunded

    def refundable_currencies(self) -> list[str]:
        """The currencies with at least 0.01 still refundable, in ledger order."""
        return [c for c in self.ledger if self.refundable(c) >= Decimal("0.01")]

    @property
    def open_holds(self) -> tuple[Hold, ...]:
        """The holds with money still held, in the order they were placed."""
        return tuple(h for h in self.holds.values() if h.released.amount < h.amount.amount)

    @property
    def pending_escalation(self) -> Escalation | None:
        """The last escalation, if it still awaits a decision."""
        last = self.escalations[-1] if self.escalations else None
        return last if last and last.outcome is EscalationOutcome.PENDING else None

    def approved(self, *targets: EscalationTarget) -> bool:
        """Whether an escalation to one of ``targets`` was approved."""
        return any(
            e.outcome is EscalationOutcome.APPROVED and e.to in targets for e in self.escalations
        )

    def rmas_at(self, *stages: RmaStage) -> list[str]:
        """The numbers of the RMAs at one of ``stages``, in the order they were issued."""
        return [number for number, rma in self.rmas.items() if rma.stage in stages]

    def entitled(self, kind: EntitlementKind, on: datetime) -> bool | None:
        """The default policy's decision of ``kind`` for a command that happened ``on``:
        counted in days from delivery (else purchase) to ``on``'s date in its own time
        zone, as decisions are dated. None without a product."""
        if self.product is None:
            return None
        start = self.product.delivered_on or self.product.purchased_on
        days = RETURN_WINDOW_DAYS if kind is EntitlementKind.RETURN_WINDOW else WARRANTY_DAYS
        return (on.date() - start).days <= days

    def refund_needs_supervisor(self, on: datetime) -> bool:
        """Past the return window on ``on``, with no approved exception standing."""
        return self.entitled(EntitlementKind.RETURN_WINDOW, on) is False and not self.approved(
            *EXCEPTIONS
        )

    def coverages(self, on: datetime) -> list[RepairCoverage]:
        """Who may cover a repair done ``on``. Warranty: the product in warranty that day,
        or out of it with an approved escalation to SUPERVISOR, MANAGER or VENDOR. Vendor:
        an escalation to VENDOR approved (rules 2; a known issue alone is not enough)."""
        covered = [RepairCoverage.GOODWILL, RepairCoverage.CUSTOMER]
        warranty = self.entitled(EntitlementKind.WARRANTY, on)
        if warranty or (warranty is False and self.approved(*EXCEPTIONS, EscalationTarget.VENDOR)):
            covered.append(RepairCoverage.WARRANTY)
        if self.approved(EscalationTarget.VENDOR):  # rules 2: a known issue is not enough
            covered.append(RepairCoverage.VENDOR)
        return covered

    def carries_personal_text(self, command: Command) -> bool:
        """Whether ``command`` gives a personal text (a non-empty text in one of its
        event's personal fields, as docs/data-protection.md lists them)."""
        return any(
            isinstance(command.kwargs.get(name), str) and bool(command.kwargs[name])
            for name in PERSONAL.get(command.event, ())
        )

    def erases(self, command: Command) -> bool:
        """Whether the desk must refuse ``command`` with
        :class:`~casehistory.PersonalDataErased`: the customer was forgotten and the
        command carries personal text."""
        return self.forgotten and self.carries_personal_text(command)

    # One command later ------------------------------------------------------------------

    def after(self, command: Command) -> CaseModel:
        """The model once the desk accepted ``command``: the status by the lifecycle table,
        the version one up, and the facts the command changes.

        Raises ``ValueError`` when the table does not allow the command in this status,
        or when it carries personal text on a forgotten customer's case (:meth:`erases`);
        the other rules are not checked (draw commands with ``next_command(model)``)."""
        key = command.lifecycle_key
        row = LIFECYCLE[key]
        if self.status not in row:
            raise ValueError(
                f"the model cannot take {command!r}: {key} is not allowed in {self.status.name}"
            )
        if self.erases(command):
            raise ValueError(
                f"the model cannot take {command!r}: it carries personal text, and the "
                "case's customer was forgotten"
            )
        effect = _EFFECTS.get(command.method)
        changes = effect(self, command.kwargs) if effect else {}
        return attrs.evolve(self, status=row[self.status], version=self.version + 1, **changes)

    def after_forgetting(self) -> CaseModel:
        """The model once ``desk.forget_customer`` forgot the case's customer: one
        ``CustomerForgotten`` event (the status as the lifecycle table leads, the version
        one up), every personal text it keeps (of holds and escalations) shown as
        ``[erased]``. A command of the whole customer, not of one case: the toolkit
        never draws it, a test calls it.

        Raises ``ValueError`` when the table does not allow it in this status, or the
        customer was forgotten already."""
        row = LIFECYCLE["CustomerForgotten"]
        if self.status not in row or self.forgotten:
            raise ValueError(f"the model cannot forget the customer of a {self.status.name} case")
        return attrs.evolve(
            self,
            status=row[self.status],
            version=self.version + 1,
            forgotten=True,
            holds={
                reference: attrs.evolve(hold, account=ERASED, reason=ERASED)
                for reference, hold in self.holds.items()
            },
            escalations=tuple(
                attrs.evolve(
                    e,
                    reason=ERASED,
                    decision_reason=None if e.decision_reason is None else ERASED,
                )
                for e in self.escalations
            ),
        )


# What each command changes, besides the status -------------------------------------------

_Effect = Callable[[CaseModel, Mapping[str, Any]], dict[str, Any]]


def _escalate(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    number = len(m.escalations) + 1
    return {"escalations": (*m.escalations, Escalation(number, kw["to"], kw["reason"], kw["by"]))}


def _decide(outcome: EscalationOutcome) -> _Effect:
    def effect(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
        *earlier, last = m.escalations
        decided = attrs.evolve(
            last, outcome=outcome, decided_by=kw["by"], decision_reason=kw["reason"]
        )
        return {"escalations": (*earlier, decided)}

    return effect


def _rma(**fields: Callable[[Mapping[str, Any]], Any]) -> _Effect:
    def effect(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
        number = kw["rma_number"]
        changed = attrs.evolve(m.rmas[number], **{k: f(kw) for k, f in fields.items()})
        return {"rmas": {**m.rmas, number: changed}}

    return effect


def _issue_rma(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    payer = Payer.COMPANY if m.fault in (Fault.OURS, Fault.VENDOR) else Payer.CUSTOMER
    rma = Rma(kw["rma_number"], kw["items"], kw["disposition"], payer)
    return {"rmas": {**m.rmas, rma.number: rma}}


def _diagnose(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "fault": kw["fault"],
        "known_issue": kw.get("known_issue") or m.known_issue,
    }
    if kw["fault"] in (Fault.OURS, Fault.VENDOR):
        # Rules 2: the company now pays the return shipping of an open RMA.
        changes["rmas"] = {
            number: attrs.evolve(rma, return_shipping_paid_by=Payer.COMPANY)
            if rma.stage in (RmaStage.ISSUED, RmaStage.RECEIVED)
            else rma
            for number, rma in m.rmas.items()
        }
    return changes


def _repair(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    changes = _rma(repaired_under=lambda kw: kw["covered_by"])(m, kw)
    if kw["covered_by"] is RepairCoverage.GOODWILL:  # rules 2: goodwill given
        changes["ledger"] = _add(m.ledger, "goodwill", kw["cost"])
    return changes


def _money(column: str, field: str = "amount") -> _Effect:
    return lambda m, kw: {"ledger": _add(m.ledger, column, kw[field])}


def _place_hold(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    amount: Money = kw["amount"]
    hold = Hold(kw["reference"], kw["account"], amount, Money.zero(amount.currency), kw["reason"])
    return {"holds": {**m.holds, hold.reference: hold}, "ledger": _add(m.ledger, "held", amount)}


def _release_hold(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    hold = m.holds[kw["reference"]]
    released = attrs.evolve(hold, released=hold.released + kw["amount"])
    return {
        "holds": {**m.holds, hold.reference: released},
        "ledger": _add(m.ledger, "released", kw["amount"]),
    }


def _refund(m: CaseModel, kw: Mapping[str, Any]) -> dict[str, Any]:
    return {"ledger": _add(m.ledger, "refunded", kw["amount"]), "refund_requested": None}


_EFFECTS: Mapping[str, _Effect] = {
    "assign_agent": lambda m, kw: {"agent": kw["agent"]},
    "transfer_case": lambda m, kw: {"department": kw["to_department"]},
    "resolve_case": lambda m, kw: {"fault": kw["fault"]},
    "link_cases": lambda m, kw: {
        "links": (*m.links, CaseLink(kw["other_case_id"], kw["relation"]))
    },
    "record_diagnosis": _diagnose,
    "request_escalation": _escalate,
    "approve_escalation": _decide(EscalationOutcome.APPROVED),
    "deny_escalation": _decide(EscalationOutcome.DENIED),
    "grant_goodwill": _money("goodwill", "amount"),
    "issue_rma": _issue_rma,
    "receive_return": _rma(stage=lambda kw: RmaStage.RECEIVED),
    "complete_inspection": _rma(inspection=lambda kw: kw["outcome"]),
    "complete_repair": _repair,
    "ship_replacement": _rma(replacement_tracking=lambda kw: kw["tracking"]),
    "reject_rma": _rma(stage=lambda kw: RmaStage.REJECTED),
    "close_rma": _rma(stage=lambda kw: RmaStage.CLOSED),
    "record_payment": _money("paid"),
    "request_refund": lambda m, kw: {"refund_requested": kw["amount"]},
    "issue_refund": _refund,
    "deny_refund": lambda m, kw: {"refund_requested": None},
    "place_hold": _place_hold,
    "release_hold": _release_hold,
    "issue_credit": _money("credited"),
    "request_cancellation": lambda m, kw: {"cancellations": m.cancellations | {kw["subscription"]}},
    "complete_cancellation": lambda m, kw: {
        "cancellations": m.cancellations - {kw["subscription"]}
    },
}
