"""The event classes, for apps that read a case's history.

``desk.history(case_id)`` returns these, oldest first; match on their classes to build
a projection of your own::

    from casehistory.events import PaymentRecorded, RefundIssued

    paid = sum(e.amount.amount for e in desk.history(case_id) if isinstance(e, PaymentRecorded))

Every event carries ``case_id``, ``originator_version``, ``recorded_at`` (store time),
``occurred_at`` (business time), ``by`` (the actor) and ``digest``; its own fields are on
the [vocabulary](../docs/vocabulary.md) page. The same classes live in
``casehistory.domain.events``; this module is the public place to import them from.
"""

from __future__ import annotations

from casehistory.domain.events import (
    EVENT_TYPES,
    AgentAssigned,
    CancellationCompleted,
    CancellationRequested,
    CaseClosed,
    CaseEvent,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    CasesLinked,
    CaseTransferred,
    CommendationRecorded,
    ComplaintRecorded,
    ContactLogged,
    CreditIssued,
    DiagnosisRecorded,
    EntitlementChecked,
    EscalationApproved,
    EscalationDenied,
    EscalationRequested,
    GoodwillGranted,
    HoldPlaced,
    HoldReleased,
    InspectionCompleted,
    NoteAdded,
    PaymentRecorded,
    RefundDenied,
    RefundIssued,
    RefundRequested,
    RemediationPerformed,
    RepairCompleted,
    ReplacementShipped,
    ReturnReceived,
    RmaClosed,
    RmaIssued,
    RmaRejected,
)

__all__ = [
    "EVENT_TYPES",
    "AgentAssigned",
    "CancellationCompleted",
    "CancellationRequested",
    "CaseClosed",
    "CaseEvent",
    "CaseOpened",
    "CaseReopened",
    "CaseResolved",
    "CaseTransferred",
    "CasesLinked",
    "CommendationRecorded",
    "ComplaintRecorded",
    "ContactLogged",
    "CreditIssued",
    "DiagnosisRecorded",
    "EntitlementChecked",
    "EscalationApproved",
    "EscalationDenied",
    "EscalationRequested",
    "GoodwillGranted",
    "HoldPlaced",
    "HoldReleased",
    "InspectionCompleted",
    "NoteAdded",
    "PaymentRecorded",
    "RefundDenied",
    "RefundIssued",
    "RefundRequested",
    "RemediationPerformed",
    "RepairCompleted",
    "ReplacementShipped",
    "ReturnReceived",
    "RmaClosed",
    "RmaIssued",
    "RmaRejected",
]
