"""Every command of a case, declared once.

A command is the :class:`~casehistory.domain.case.Case` method of its name (its
arguments, their types and its rules) and one :class:`CommandDeclaration` here: the
event it records, the argument that names an existing part of the case it acts on (an
RMA, a hold, an escalation, a cancellation), and its area. The desk's typed methods, the
testing toolkit's vocabulary, ``verify --rules``, ``desk.allowed`` and the generated
docs are derived from these, and a test checks that each agrees with them
(tests/unit/test_declarations.py). Adding a command is: its event, its domain method,
its row here, its rows in the rights and lifecycle tables, and its docs.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

import attrs

from casehistory.domain import events as ev

__all__ = ["COMMANDS", "COMMAND_OF", "Area", "CommandDeclaration", "Target", "command_arguments"]


class Area(Enum):
    """Where a command belongs, as the docs group them."""

    LIFECYCLE = "lifecycle"
    CONTACT = "contact"
    SERVICE = "service"
    RETURNS = "returns"
    MONEY = "money"


class Target(Enum):
    """The kind of existing part of a case a command acts on, named by one argument."""

    RMA = "rma"
    """An issued RMA, by its ``rma_number``."""
    HOLD = "hold"
    """A placed hold, by its ``reference``."""
    ESCALATION = "escalation"
    """The escalation awaiting its decision."""
    CANCELLATION = "cancellation"
    """A requested cancellation, by its ``subscription``."""
    REFUND_REQUEST = "refund request"
    """The refund request awaiting its decision."""


@attrs.frozen
class CommandDeclaration:
    """One command: the desk and domain method ``name``, the ``event`` it records, and
    the ``target`` it acts on (None: the case as a whole) through the argument
    ``target_argument`` (None: the target is implied, as the one pending escalation)."""

    name: str
    event: type[ev.CaseEvent]
    area: Area
    target: Target | None = None
    target_argument: str | None = None

    @property
    def method(self) -> str:
        """The name of its method on :class:`~casehistory.domain.case.Case` (``open``
        for ``open_case``, a class method: there is no case before it)."""
        return "open" if self.event is ev.CaseOpened else self.name


def _declare(*declarations: CommandDeclaration) -> Mapping[str, CommandDeclaration]:
    return MappingProxyType({d.name: d for d in declarations})


_L, _C, _S, _R, _M = Area.LIFECYCLE, Area.CONTACT, Area.SERVICE, Area.RETURNS, Area.MONEY
_D = CommandDeclaration

COMMANDS: Mapping[str, CommandDeclaration] = _declare(
    _D("open_case", ev.CaseOpened, _L),
    _D("assign_agent", ev.AgentAssigned, _L),
    _D("transfer_case", ev.CaseTransferred, _L),
    _D("resolve_case", ev.CaseResolved, _L),
    _D("close_case", ev.CaseClosed, _L),
    _D("reopen_case", ev.CaseReopened, _L),
    _D("link_cases", ev.CasesLinked, _L),
    _D("log_contact", ev.ContactLogged, _C),
    _D("add_note", ev.NoteAdded, _C),
    _D("record_complaint", ev.ComplaintRecorded, _C),
    _D("record_commendation", ev.CommendationRecorded, _C),
    _D("record_diagnosis", ev.DiagnosisRecorded, _S),
    _D("record_remediation", ev.RemediationPerformed, _S),
    _D("check_entitlement", ev.EntitlementChecked, _S),
    _D("request_escalation", ev.EscalationRequested, _S),
    _D("approve_escalation", ev.EscalationApproved, _S, Target.ESCALATION),
    _D("deny_escalation", ev.EscalationDenied, _S, Target.ESCALATION),
    _D("grant_goodwill", ev.GoodwillGranted, _S),
    _D("issue_rma", ev.RmaIssued, _R),
    _D("receive_return", ev.ReturnReceived, _R, Target.RMA, "rma_number"),
    _D("complete_inspection", ev.InspectionCompleted, _R, Target.RMA, "rma_number"),
    _D("complete_repair", ev.RepairCompleted, _R, Target.RMA, "rma_number"),
    _D("ship_replacement", ev.ReplacementShipped, _R, Target.RMA, "rma_number"),
    _D("reject_rma", ev.RmaRejected, _R, Target.RMA, "rma_number"),
    _D("close_rma", ev.RmaClosed, _R, Target.RMA, "rma_number"),
    _D("record_payment", ev.PaymentRecorded, _M),
    _D("request_refund", ev.RefundRequested, _M),
    _D("issue_refund", ev.RefundIssued, _M),
    _D("deny_refund", ev.RefundDenied, _M, Target.REFUND_REQUEST),
    _D("place_hold", ev.HoldPlaced, _M),
    _D("release_hold", ev.HoldReleased, _M, Target.HOLD, "reference"),
    _D("issue_credit", ev.CreditIssued, _M),
    _D("request_cancellation", ev.CancellationRequested, _M),
    _D("complete_cancellation", ev.CancellationCompleted, _M, Target.CANCELLATION, "subscription"),
)
"""Command name -> its declaration, in the order the docs list them."""

COMMAND_OF: Mapping[type[ev.CaseEvent], CommandDeclaration] = MappingProxyType(
    {d.event: d for d in COMMANDS.values()}
)
"""Event type -> the declaration of the one command that records it."""

# What the desk supplies (the store time, its policies, the command id, the SLA terms and
# rules version of an opening), not the caller.
_NOT_ARGUMENTS = frozenset(
    {"self", "by", "occurred_at", "recorded_at", "policies", "command", "sla", "rules"}
)


def command_arguments(declaration: CommandDeclaration) -> tuple[inspect.Parameter, ...]:
    """The arguments a caller gives the command besides ``by`` and ``occurred_at``, as
    its domain method declares them (names, annotations as text, defaults)."""
    from casehistory.domain.case import Case  # the aggregate imports this module's users

    method = getattr(Case, declaration.method)
    return tuple(
        p for p in inspect.signature(method).parameters.values() if p.name not in _NOT_ARGUMENTS
    )
