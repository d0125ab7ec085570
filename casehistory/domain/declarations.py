"""Every command of a case, declared once.

A command is the :class:`~casehistory.domain.case.Case` method of its name (its
arguments, their types and its rules) and one :class:`CommandDeclaration` here: the
event it records, the argument that names an existing part of the case it acts on (an
RMA, a hold, an escalation, a cancellation), and its area. The desk's typed methods, the
testing toolkit's vocabulary, ``verify --rules``, ``desk.allowed`` and the generated
docs are derived from these, and tests check that each agrees with them
(tests/unit/test_declarations.py, tests/testing/test_vocabulary_declared.py).

Adding a command is: its event and its domain method, its row here, its rows in the
rights and lifecycle tables, its typed desk method (the public face, whose signature a
test holds to the domain method's), and its docs (the event's section in
docs/vocabulary.md, the meaning of new fields in docs/_generate.py). The testing
toolkit's model of a case is written apart on purpose (an oracle derived from the domain
would agree with its bugs): a test fails for a declared command without a step (one line
when its arguments are of the usual types), and the model's effect of a command that
changes more than the status is written beside it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any

import attrs

from casehistory.domain import events as ev
from casehistory.domain.values import Actor, Role

__all__ = [
    "COMMANDS",
    "COMMAND_OF",
    "CUSTOMER_COMMANDS",
    "Area",
    "CommandDeclaration",
    "Target",
    "command_arguments",
]


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
    """The escalation awaiting its decision, by its ``number``."""
    CANCELLATION = "cancellation"
    """A requested cancellation, by its ``subscription``."""
    REFUND_REQUEST = "refund request"
    """The refund request awaiting its decision."""


Recorded = Callable[[Any], Any]
"""How a recorded event gives back one argument of the command that recorded it."""

Stored = tuple[str, Callable[[Any], Any]]
"""The event's field that records an argument, and how the argument's value becomes it."""


def _read_only(recorded: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(recorded))


def _same(value: Any) -> Any:
    return value


@attrs.frozen
class CommandDeclaration:
    """One command: the desk and domain method ``name``, the ``event`` it records, and
    the ``target`` it acts on (None: the case as a whole) through the argument
    ``target_argument`` (None: the target is implied, as the one pending refund request).

    ``recorded`` says how the event gives back an argument it does not record under the
    argument's own name and type (a stored field keeps its name forever, while the
    command's argument may be renamed): what ``verify --rules`` replays the command with.
    ``stored`` is the other way: the field and value it is recorded as, which a command
    id's fingerprint is taken over, so that a command retried across the rename is still
    the same command. Every other argument is the event's field of the same name."""

    name: str
    event: type[ev.CaseEvent]
    area: Area
    target: Target | None = None
    target_argument: str | None = None
    recorded: Mapping[str, Recorded] = attrs.field(
        factory=dict, converter=_read_only, eq=False, hash=False
    )
    stored: Mapping[str, Stored] = attrs.field(
        factory=dict, converter=_read_only, eq=False, hash=False
    )

    def as_stored(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``arguments`` of this command under the names and values its event records
        them by (what a command id's fingerprint covers)."""
        found: dict[str, Any] = {}
        for name, value in arguments.items():
            field, convert = self.stored.get(name, (name, _same))
            found[field] = convert(value)
        return found

    def arguments_of(self, event: ev.CaseEvent) -> dict[str, Any]:
        """The arguments (besides ``by`` and the times) that recorded ``event``, read
        back from it: what a replay of the command is given."""
        return {
            p.name: self.recorded[p.name](event)
            if p.name in self.recorded
            else getattr(event, p.name)
            for p in command_arguments(self)
        }

    @property
    def method(self) -> str:
        """The name of its method on :class:`~casehistory.domain.case.Case` (``open``
        for ``open_case``, a class method: there is no case before it)."""
        return "open" if self.event is ev.CaseOpened else self.name


def _commended(event: ev.CommendationRecorded) -> Actor:
    # The record keeps the praised person's id; their role decides only whether they may
    # be praised (an AGENT, SUPERVISOR or MANAGER), and an AGENT of that id records the
    # same event as any of the three.
    return Actor(event.agent_id, Role.AGENT)


def _praised_id(agent: Any) -> Any:
    # Not an Actor: left as it is, for the command to refuse.
    return agent.id if isinstance(agent, Actor) else agent


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
    _D(
        "record_commendation",
        ev.CommendationRecorded,
        _C,
        recorded={"agent": _commended},
        stored={"agent": ("agent_id", _praised_id)},
    ),
    _D("record_diagnosis", ev.DiagnosisRecorded, _S),
    _D("record_remediation", ev.RemediationPerformed, _S),
    _D(
        "check_entitlement", ev.EntitlementChecked, _S, recorded={"kind": lambda e: e.decision.kind}
    ),
    _D("request_escalation", ev.EscalationRequested, _S),
    _D("approve_escalation", ev.EscalationApproved, _S, Target.ESCALATION, "number"),
    _D("deny_escalation", ev.EscalationDenied, _S, Target.ESCALATION, "number"),
    _D(
        "grant_goodwill",
        ev.GoodwillGranted,
        _S,
        recorded={"amount": lambda e: e.value},
        stored={"amount": ("value", _same)},
    ),
    _D("issue_rma", ev.RmaIssued, _R),
    _D("receive_return", ev.ReturnReceived, _R, Target.RMA, "rma_number"),
    _D("complete_inspection", ev.InspectionCompleted, _R, Target.RMA, "rma_number"),
    _D("complete_repair", ev.RepairCompleted, _R, Target.RMA, "rma_number"),
    _D(
        "ship_replacement",
        ev.ReplacementShipped,
        _R,
        Target.RMA,
        "rma_number",
        # Version 2 of the event renamed the field; the argument kept its name, and the
        # fingerprint of a command id keeps the name it was taken under before.
        recorded={"tracking": lambda e: e.tracking_number},
        stored={"tracking": ("tracking", _same)},
    ),
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
"""Command name -> its declaration, in the order the docs list them: the commands of
one case, each a desk method that takes the case's id."""

CUSTOMER_COMMANDS: Mapping[str, CommandDeclaration] = _declare(
    _D("forget_customer", ev.CustomerForgotten, _L),
)
"""The commands that act on every case of a customer at once: the desk method takes
the customer's id and runs the domain method of the same name on each of their cases
(``forget_customer``: docs/data-protection.md). Not offered by ``desk.allowed`` nor
drawn by the testing toolkit, which act on one case; replayed by ``verify --rules``
like any other."""

COMMAND_OF: Mapping[type[ev.CaseEvent], CommandDeclaration] = MappingProxyType(
    {d.event: d for d in (*COMMANDS.values(), *CUSTOMER_COMMANDS.values())}
)
"""Event type -> the declaration of the one command that records it."""

# What the desk supplies (the store time, its policies, the command id, the SLA terms and
# rules version of an opening), not the caller.
_NOT_ARGUMENTS = frozenset(
    {"self", "by", "occurred_at", "recorded_at", "policies", "command", "sla", "rules", "sealer"}
)


def command_arguments(declaration: CommandDeclaration) -> tuple[inspect.Parameter, ...]:
    """The arguments a caller gives the command besides ``by`` and ``occurred_at``, as
    its domain method declares them (names, annotations as text, defaults)."""
    return _arguments(declaration.method)


@functools.cache
def _arguments(name: str) -> tuple[inspect.Parameter, ...]:
    from casehistory.domain.case import Case  # the aggregate imports this module's users

    method = getattr(Case, name)
    return tuple(
        p for p in inspect.signature(method).parameters.values() if p.name not in _NOT_ARGUMENTS
    )
