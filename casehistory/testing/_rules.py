"""The rules of the case domain, written down a second time for the model, from the docs.

The lifecycle table (docs/lifecycle.md), the rights table and the approvers
(docs/vocabulary.md), the personal fields (docs/data-protection.md) and the default
policies (docs/policies.md) are copied here, not imported from the domain: a bug planted
in the library's tables must disagree with the model. A test keeps the two copies equal
while the library is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Actor, EscalationTarget, Role

__all__ = [
    "APPROVERS",
    "ASSIGNABLE",
    "CAST",
    "COMMENDATION_SOURCES",
    "EXCEPTIONS",
    "FIRST_DEPARTMENT",
    "GOODWILL_LIMIT",
    "LIFECYCLE",
    "PERSONAL",
    "RETURN_WINDOW_DAYS",
    "RIGHTS",
    "SUPERVISORS",
    "WARRANTY_DAYS",
]

# The lifecycle table -------------------------------------------------------------------

NEW, OPEN, RESOLVED, CLOSED = Status.NEW, Status.OPEN, Status.RESOLVED, Status.CLOSED
_AC, _AR, _IS, _ESC = (
    Status.AWAITING_CUSTOMER,
    Status.AWAITING_RETURN,
    Status.IN_SERVICE,
    Status.ESCALATED,
)
_ACTIVE = frozenset({OPEN, _AC, _AR, _IS, _ESC})
_WORKING = _ACTIVE | {NEW}
_NOT_CLOSED = _WORKING | {RESOLVED}
_EVERY = _NOT_CLOSED | {CLOSED}


def _stay(statuses: frozenset[Status]) -> dict[Status | None, Status]:
    return {status: status for status in statuses}


LIFECYCLE: Mapping[str, Mapping[Status | None, Status]] = MappingProxyType(
    {
        "CaseOpened": {None: NEW},
        "AgentAssigned": {**_stay(_ACTIVE), NEW: OPEN},
        "CaseTransferred": _stay(_WORKING),
        "CaseResolved": {OPEN: RESOLVED, _AC: RESOLVED},
        "CaseClosed": {RESOLVED: CLOSED},
        "CaseReopened": {RESOLVED: OPEN, CLOSED: OPEN},
        "CasesLinked": _stay(_NOT_CLOSED),
        "ContactLogged (inbound)": {**_stay(_NOT_CLOSED), _AC: OPEN},
        "ContactLogged (outbound)": _stay(_NOT_CLOSED),
        "ContactLogged (outbound, awaiting reply)": {OPEN: _AC, _AC: _AC},
        "NoteAdded": _stay(_NOT_CLOSED),
        "ComplaintRecorded": _stay(_NOT_CLOSED),
        "CommendationRecorded": _stay(_NOT_CLOSED),
        "DiagnosisRecorded": _stay(_ACTIVE),
        "RemediationPerformed": _stay(_ACTIVE),
        "EntitlementChecked": _stay(_ACTIVE),
        "EscalationRequested": {OPEN: _ESC, _AC: _ESC},
        "EscalationApproved": {_ESC: OPEN},
        "EscalationDenied": {_ESC: OPEN},
        "GoodwillGranted": _stay(_ACTIVE | {RESOLVED}),
        "RmaIssued": {OPEN: _AR, _AC: _AR},
        "ReturnReceived": {_AR: _IS},
        "InspectionCompleted": _stay(frozenset({_IS})),
        "RepairCompleted": _stay(frozenset({_IS})),
        "ReplacementShipped": _stay(frozenset({_AR, _IS})),
        "RmaRejected": {_AR: OPEN, _IS: OPEN},
        "RmaClosed": {_AR: OPEN, _IS: OPEN},
        "PaymentRecorded": _stay(_NOT_CLOSED),
        "RefundRequested": _stay(_ACTIVE),
        "RefundIssued": _stay(_ACTIVE | {RESOLVED}),
        "RefundDenied": _stay(_ACTIVE | {RESOLVED}),
        "HoldPlaced": _stay(_NOT_CLOSED),
        "HoldReleased": _stay(_NOT_CLOSED),
        "CreditIssued": _stay(_ACTIVE | {RESOLVED}),
        "CancellationRequested": _stay(_WORKING),
        "CancellationCompleted": _stay(_ACTIVE),
        # A customer-wide command (forget_customer), recorded on each of their cases.
        "CustomerForgotten": _stay(_EVERY),
    }
)
"""lifecycle key -> {status it is allowed in: status it leads to}, as docs/lifecycle.md says."""

# Who may record what -------------------------------------------------------------------

_STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.SYSTEM})
_PEOPLE = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.MANAGER})
"""Supervisor or above: above the goodwill limit, and past the return window."""
_WITH_VENDOR = _STAFF | {Role.VENDOR}

RIGHTS: Mapping[str, frozenset[Role]] = MappingProxyType(
    {
        **dict.fromkeys(
            [
                "CaseOpened",
                "AgentAssigned",
                "CaseTransferred",
                "CaseResolved",
                "CaseClosed",
                "CaseReopened",
                "CasesLinked",
                "ComplaintRecorded",
                "CommendationRecorded",
                "EntitlementChecked",
                "RmaIssued",
                "RmaRejected",
                "PaymentRecorded",
                "RefundRequested",
                "RefundIssued",
                "RefundDenied",
                "HoldPlaced",
                "HoldReleased",
                "CancellationRequested",
                "CancellationCompleted",
            ],
            _STAFF,
        ),
        **dict.fromkeys(
            [
                "NoteAdded",
                "DiagnosisRecorded",
                "RemediationPerformed",
                "ReturnReceived",
                "InspectionCompleted",
                "RepairCompleted",
                "ReplacementShipped",
                "RmaClosed",
            ],
            _WITH_VENDOR,
        ),
        "ContactLogged": _WITH_VENDOR | {Role.CUSTOMER},  # the customer: inbound only
        "EscalationRequested": _PEOPLE,
        "EscalationApproved": SUPERVISORS | {Role.VENDOR},
        "EscalationDenied": SUPERVISORS | {Role.VENDOR},
        "GoodwillGranted": _PEOPLE,
        "CreditIssued": _PEOPLE,
        "CustomerForgotten": frozenset({Role.PRIVACY_OFFICER}),  # and nothing else
    }
)
"""event type -> the roles that may record it (AUDITOR in none), as docs/vocabulary.md says."""

# What is personal (docs/data-protection.md) -------------------------------------------

PERSONAL: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "CaseOpened": frozenset({"customer", "subject"}),  # the customer's name and email
        "CaseTransferred": frozenset({"reason"}),
        "CaseResolved": frozenset({"resolution"}),
        "CaseReopened": frozenset({"reason"}),
        "ContactLogged": frozenset({"summary"}),
        "NoteAdded": frozenset({"text"}),
        "ComplaintRecorded": frozenset({"details"}),
        "CommendationRecorded": frozenset({"text"}),
        "DiagnosisRecorded": frozenset({"symptom"}),
        "EscalationRequested": frozenset({"reason"}),
        "EscalationApproved": frozenset({"reason"}),
        "EscalationDenied": frozenset({"reason"}),
        "GoodwillGranted": frozenset({"reason"}),
        "RmaIssued": frozenset({"reason"}),
        "InspectionCompleted": frozenset({"findings"}),
        "RmaRejected": frozenset({"reason"}),
        "RmaClosed": frozenset({"note"}),
        "RefundRequested": frozenset({"reason"}),
        "RefundIssued": frozenset({"reason"}),
        "RefundDenied": frozenset({"reason"}),
        "HoldPlaced": frozenset({"account", "reason"}),
        "HoldReleased": frozenset({"reason"}),
        "CreditIssued": frozenset({"reason"}),
        "CancellationRequested": frozenset({"reason"}),
    }
)
"""event type -> its personal fields (each the command argument of the same name), as
docs/data-protection.md lists them: sealed under the customer's key, shown as erased
once the customer is forgotten, and never recorded again on that customer's cases."""

APPROVERS: Mapping[EscalationTarget, frozenset[Role]] = MappingProxyType(
    {
        EscalationTarget.SUPERVISOR: SUPERVISORS,
        EscalationTarget.MANAGER: frozenset({Role.MANAGER}),
        EscalationTarget.LEGAL: frozenset({Role.MANAGER}),
        EscalationTarget.VENDOR: SUPERVISORS | {Role.VENDOR},
    }
)
"""escalation target -> the roles that may decide it (never the person who asked)."""

EXCEPTIONS = (EscalationTarget.SUPERVISOR, EscalationTarget.MANAGER)
"""Approved escalations to these stand as an exception to policy on the case."""

COMMENDATION_SOURCES = frozenset({Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER})
ASSIGNABLE = _PEOPLE

RETURN_WINDOW_DAYS = 30
WARRANTY_DAYS = 365
GOODWILL_LIMIT = Decimal("50.00")
CASE_GOODWILL_LIMIT = Decimal("100.00")
"""Rules 2: an agent's goodwill on one case in all, per currency."""
"""The default policies (docs/policies.md) the model decides with."""

FIRST_DEPARTMENT = "Customer Service"

CAST: tuple[Actor, ...] = (
    Actor("a.lee", Role.AGENT),
    Actor("b.ng", Role.AGENT),
    Actor("s.kim", Role.SUPERVISOR),
    Actor("m.ortiz", Role.MANAGER),
    Actor("m.diaz", Role.MANAGER),  # a second manager: an escalation to MANAGER is decidable
    Actor("sys.router", Role.SYSTEM),
    Actor("v.acme", Role.VENDOR),
    Actor("c.dana", Role.CUSTOMER),
    Actor("au.reyes", Role.AUDITOR),
    Actor("p.osei", Role.PRIVACY_OFFICER),
)
"""Everyone who appears in drawn commands: a small cast, so people recur in a history."""
