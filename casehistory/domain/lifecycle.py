"""The lifecycle: statuses and THE transition table.

Status is never set by hand: it is derived by folding events through
:data:`TRANSITIONS`. Each row names a lifecycle key (an event type, or for contacts
its direction) and maps every status the event is allowed in to the status it
leads to. An event whose key has no entry for the current status is refused with
:class:`~casehistory.errors.TransitionNotAllowed`. The docs render this very table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from types import MappingProxyType

__all__ = ["ACTIVE", "CLOSED_ACCEPTS", "TRANSITIONS", "Status", "allowed_from", "next_status"]


class Status(Enum):
    """Where a case stands. Derived from the events, never stored by hand."""

    NEW = "NEW"
    OPEN = "OPEN"
    AWAITING_CUSTOMER = "AWAITING_CUSTOMER"
    AWAITING_RETURN = "AWAITING_RETURN"
    IN_SERVICE = "IN_SERVICE"
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


NEW, OPEN, RESOLVED, CLOSED = Status.NEW, Status.OPEN, Status.RESOLVED, Status.CLOSED
AWAITING_CUSTOMER, AWAITING_RETURN = Status.AWAITING_CUSTOMER, Status.AWAITING_RETURN
IN_SERVICE, ESCALATED = Status.IN_SERVICE, Status.ESCALATED

ACTIVE: frozenset[Status] = frozenset(
    {OPEN, AWAITING_CUSTOMER, AWAITING_RETURN, IN_SERVICE, ESCALATED}
)
"""Statuses in which an agent is working the case."""


def _stay(statuses: Iterable[Status]) -> dict[Status | None, Status]:
    return {status: status for status in statuses}


_WORKING = ACTIVE | {NEW}
_NOT_CLOSED = _WORKING | {RESOLVED}

TRANSITIONS: Mapping[str, Mapping[Status | None, Status]] = MappingProxyType(
    {
        # Lifecycle. ``None`` is "no case yet".
        "CaseOpened": {None: NEW},
        "AgentAssigned": {NEW: OPEN, **_stay(ACTIVE)},
        "CaseTransferred": _stay(_WORKING),
        # Resolution waits for decisions and returns: not while ESCALATED, AWAITING_RETURN
        # or IN_SERVICE (close or reject the RMA first).
        "CaseResolved": {OPEN: RESOLVED, AWAITING_CUSTOMER: RESOLVED},
        "CaseClosed": {RESOLVED: CLOSED},
        "CaseReopened": {RESOLVED: OPEN, CLOSED: OPEN},
        "CasesLinked": _stay(_NOT_CLOSED),
        # Erasure: in any status, closed cases above all (they are what is kept).
        "CustomerForgotten": _stay(Status),
        # Contact.
        "ContactLogged (inbound)": {**_stay(_NOT_CLOSED), AWAITING_CUSTOMER: OPEN},
        "ContactLogged (outbound)": _stay(_NOT_CLOSED),
        "ContactLogged (outbound, awaiting reply)": {
            OPEN: AWAITING_CUSTOMER,
            AWAITING_CUSTOMER: AWAITING_CUSTOMER,
        },
        "NoteAdded": _stay(_NOT_CLOSED),
        "ComplaintRecorded": _stay(_NOT_CLOSED),
        "CommendationRecorded": _stay(_NOT_CLOSED),
        # Diagnosis and policy.
        "DiagnosisRecorded": _stay(ACTIVE),
        "RemediationPerformed": _stay(ACTIVE),
        "EntitlementChecked": _stay(ACTIVE),
        # Escalation: one at a time, and never in the middle of a return.
        "EscalationRequested": {OPEN: ESCALATED, AWAITING_CUSTOMER: ESCALATED},
        "EscalationApproved": {ESCALATED: OPEN},
        "EscalationDenied": {ESCALATED: OPEN},
        "GoodwillGranted": _stay(ACTIVE | {RESOLVED}),
        # RMA: one return at a time.
        "RmaIssued": {OPEN: AWAITING_RETURN, AWAITING_CUSTOMER: AWAITING_RETURN},
        "ReturnReceived": {AWAITING_RETURN: IN_SERVICE},
        "InspectionCompleted": _stay({IN_SERVICE}),
        "RepairCompleted": _stay({IN_SERVICE}),
        "ReplacementShipped": _stay({AWAITING_RETURN, IN_SERVICE}),
        "RmaRejected": {AWAITING_RETURN: OPEN, IN_SERVICE: OPEN},
        "RmaClosed": {AWAITING_RETURN: OPEN, IN_SERVICE: OPEN},
        # Money.
        "PaymentRecorded": _stay(_NOT_CLOSED),
        "RefundRequested": _stay(ACTIVE),
        "RefundIssued": _stay(ACTIVE | {RESOLVED}),
        "RefundDenied": _stay(ACTIVE | {RESOLVED}),
        "HoldPlaced": _stay(_NOT_CLOSED),
        "HoldReleased": _stay(_NOT_CLOSED),
        "CreditIssued": _stay(ACTIVE | {RESOLVED}),
        # Account.
        "CancellationRequested": _stay(_WORKING),
        "CancellationCompleted": _stay(ACTIVE),
    }
)
"""lifecycle key -> {status the event is allowed in: status it leads to}."""


CLOSED_ACCEPTS: frozenset[str] = frozenset(
    key.split(" (")[0] for key, row in TRANSITIONS.items() if CLOSED in row
)
"""Event types the table accepts on a CLOSED case (checked first, as CaseIsClosed)."""


def allowed_from(key: str) -> frozenset[Status | None]:
    """The statuses in which an event with this lifecycle key may be recorded."""
    return frozenset(TRANSITIONS[key])


def next_status(current: Status | None, key: str) -> Status:
    """The status after an event, as the table says.

    On replay this never refuses: history recorded under an older table is folded
    as it was accepted then, keeping the current status where the table is silent.
    """
    target = TRANSITIONS[key].get(current)
    if target is not None:
        return target
    if current is None:
        raise ValueError(f"{key} cannot start a case")
    return current
