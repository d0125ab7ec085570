"""The audit trail: one line per event, with both times, the actor and the money."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import attrs

from casehistory.domain import events as ev
from casehistory.domain.commands import COMMAND_ID
from casehistory.domain.sealed import Sealed
from casehistory.domain.values import Actor, Customer, Money

__all__ = ["Trail", "TrailLine", "describe", "money_moved", "trail"]


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


_DESCRIBE: dict[type[ev.CaseEvent], Callable[[Any], str]] = {
    ev.CaseOpened: lambda e: (
        f"case opened by {e.channel.name} for {e.customer.name}: {e.subject}"
        + (f" ({e.product.name}, bought {e.product.purchased_on.isoformat()})" if e.product else "")
    ),
    ev.AgentAssigned: lambda e: f"assigned to {e.agent}",
    ev.CaseTransferred: lambda e: (
        f"transferred {e.from_department} -> {e.to_department}: {e.reason}"
    ),
    ev.CaseResolved: lambda e: f"resolved, fault {e.fault.name}: {e.resolution}",
    ev.CaseClosed: lambda e: "closed",
    ev.CaseReopened: lambda e: f"reopened: {e.reason}",
    ev.CasesLinked: lambda e: f"linked {e.relation.name} case {e.other_case_id}",
    ev.ContactLogged: lambda e: (
        f"{e.direction.name.lower()} {e.channel.name}"
        + (f", {e.demeanour.name.lower()}" if e.demeanour else "")
        + f": {e.summary}"
        + (" (awaiting reply)" if e.awaiting_reply else "")
    ),
    ev.NoteAdded: lambda e: f"note: {e.text}",
    ev.ComplaintRecorded: lambda e: f"complaint {e.category.name}: {e.details}",
    ev.CommendationRecorded: lambda e: f"commendation of {e.agent_id} from {e.source}: {e.text}",
    ev.DiagnosisRecorded: lambda e: (
        f"diagnosis, fault {e.fault.name}: {e.finding}; "
        f"cause {e.root_cause}" + (f"; known issue {e.known_issue}" if e.known_issue else "")
    ),
    ev.RemediationPerformed: lambda e: f"remediation: {e.action}",
    ev.EntitlementChecked: lambda e: f"checked {e.decision}",
    ev.EscalationRequested: lambda e: (
        f"escalation #{e.number} to {e.to.name} requested: {e.reason}"
    ),
    ev.EscalationApproved: lambda e: f"escalation #{e.number} approved: {e.reason}",
    ev.EscalationDenied: lambda e: f"escalation #{e.number} denied: {e.reason}",
    ev.GoodwillGranted: lambda e: (
        f"goodwill {e.kind.name}: {e.reason}; {e.limit_check.outcome}"
        + (
            f", ships {e.cutoff_check.outcome} (cut-off {e.cutoff_check.compared['cutoff']})"
            if e.cutoff_check
            else ""
        )
    ),
    ev.RmaIssued: lambda e: (
        f"RMA {e.rma_number} issued for {e.disposition.name}: {e.items}; "
        f"return shipping paid by {e.return_shipping_paid_by.name} "
        f"({e.shipping_decision.policy_id} v{e.shipping_decision.version}: "
        f"fault {e.shipping_decision.compared['fault']})"
    ),
    ev.ReturnReceived: lambda e: f"RMA {e.rma_number} return received: {e.condition}",
    ev.InspectionCompleted: lambda e: (
        f"RMA {e.rma_number} inspected {e.outcome.name}: {e.findings}"
    ),
    ev.RepairCompleted: lambda e: (
        f"RMA {e.rma_number} repaired under {e.covered_by.name}: {e.work_done}"
    ),
    ev.ReplacementShipped: lambda e: (
        f"RMA {e.rma_number} replacement shipped "
        f"{e.service_level.name}, {e.tracking_number}, paid by {e.paid_by.name}"
        + ("" if e.carrier is None else f", by {e.carrier}")
    ),
    ev.RmaRejected: lambda e: f"RMA {e.rma_number} rejected: {e.reason}",
    ev.RmaClosed: lambda e: f"RMA {e.rma_number} closed: {e.note}",
    ev.PaymentRecorded: lambda e: f"payment recorded, ref {e.reference}",
    ev.RefundRequested: lambda e: f"refund requested: {e.reason}",
    ev.RefundIssued: lambda e: (
        f"refund issued: {e.reason}" + (" (policy exception)" if e.policy_exception else "")
    ),
    ev.RefundDenied: lambda e: (
        f"refund denied: {e.reason}"
        + (f" [{e.decision.policy_id} v{e.decision.version}]" if e.decision else "")
    ),
    ev.HoldPlaced: lambda e: f"hold {e.reference} placed on {e.account}: {e.reason}",
    ev.HoldReleased: lambda e: f"hold {e.reference} released: {e.reason}",
    ev.CreditIssued: lambda e: f"credit issued: {e.reason}; {e.limit_check.outcome}",
    ev.CancellationRequested: lambda e: f"cancellation of {e.subscription} requested: {e.reason}",
    ev.CustomerForgotten: lambda e: f"customer forgotten ({e.ground.name}): personal texts erased",
    ev.CancellationCompleted: lambda e: (
        f"cancellation of {e.subscription} completed, effective {e.effective_on.isoformat()}"
    ),
}

_MONEY: dict[type[ev.CaseEvent], tuple[str, str]] = {
    ev.PaymentRecorded: ("paid", "amount"),
    ev.RefundRequested: ("requested", "amount"),
    ev.RefundIssued: ("refunded", "amount"),
    ev.HoldPlaced: ("held", "amount"),
    ev.HoldReleased: ("released", "amount"),
    ev.CreditIssued: ("credited", "amount"),
    ev.GoodwillGranted: ("goodwill", "value"),  # the event's name for its amount
    ev.RepairCompleted: ("repair cost", "cost"),
}


def describe(event: ev.CaseEvent) -> str:
    """What happened, in one sentence, for people."""
    return _DESCRIBE[type(event)](event)


def money_moved(event: ev.CaseEvent) -> tuple[str, Money] | None:
    """The money ``event`` records and the trail's word for it (``("paid", amount)``,
    ``("held", amount)``, ``("goodwill", value)``...), or None."""
    column = _MONEY.get(type(event))
    if column is None:
        return None
    label, attribute = column
    value = getattr(event, attribute)
    return None if value is None else (label, value)


@attrs.frozen
class TrailLine:
    """One event as the audit trail shows it."""

    version: int
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    what: str
    money: Money | None = None
    """The money the event moved (paid, refunded, held, ...), if any."""
    money_label: str | None = None
    """The trail's word for it: ``paid``, ``refunded``, ``goodwill``, ``repair cost``..."""
    command_id: str | None = None
    """The caller's id of the command that recorded the event, if it was given one."""

    @property
    def money_text(self) -> str:
        """The money as the trail prints it (``paid 12.50 EUR``), or ``""``."""
        return "" if self.money is None else f"{self.money_label} {self.money}"

    def __str__(self) -> str:
        money = f" | {self.money_text}" if self.money is not None else ""
        command = f" | command {self.command_id}" if self.command_id else ""
        return (
            f"v{self.version} | occurred {_when(self.occurred_at)} | recorded "
            f"{_when(self.recorded_at)} | {self.actor} | {self.event_type}: {self.what}"
            f"{money}{command}"
        )


@attrs.frozen
class Trail:
    """The audit trail of one case, oldest event first."""

    lines: tuple[TrailLine, ...]

    def __iter__(self) -> Iterator[TrailLine]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def __str__(self) -> str:
        return "\n".join(str(line) for line in self.lines)


def trail(events: Iterable[ev.CaseEvent]) -> Trail:
    """Fold a case's events into its audit trail. Once the case holds its customer's
    erasure, every personal text reads :data:`~casehistory.domain.sealed.ERASED`, whatever
    the key store says (a key row put back by a restore opens nothing here)."""
    events = list(events)
    if any(type(event) is ev.CustomerForgotten for event in events):
        events = [erased(event) for event in events]
    return Trail(tuple(_line(e) for e in events))


def erased(event: ev.CaseEvent) -> ev.CaseEvent:
    """A copy of ``event`` whose sealed texts read as erased (the stored event is not
    touched; its digest still covers its boxes)."""
    values = vars(event)
    if not any(isinstance(value, Sealed | Customer) for value in values.values()):
        return event
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", {name: _erase(value) for name, value in values.items()})
    return copy


def _forgotten(_: Sealed) -> None:
    return None  # the key is as good as destroyed: nothing opens


def _erase(value: Any) -> Any:
    if isinstance(value, Sealed):
        return Sealed(value.box, _forgotten)
    if isinstance(value, Customer):
        return attrs.evolve(
            value,
            name=_erase(value.name),
            email=None if value.email is None else _erase(value.email),
        )
    return value


def _line(event: ev.CaseEvent) -> TrailLine:
    label, money = money_moved(event) or (None, None)
    return TrailLine(
        version=event.originator_version,
        event_type=type(event).__name__,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.by,
        what=describe(event),
        money=money,
        money_label=label,
        command_id=vars(event).get(COMMAND_ID),
    )
