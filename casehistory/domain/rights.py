"""Who may record what: the rights table and segregation of duties.

Each event type maps to the roles allowed to record it. AUDITOR is in no row (an
auditor reads everything and writes nothing); CUSTOMER is only in the contact row,
and only inbound. Deciding an escalation needs a role able to decide for its target,
and never the person who asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from uuid import UUID

from casehistory.domain.policies import PolicyDecision
from casehistory.domain.values import Actor, Direction, EscalationTarget, Money, Role
from casehistory.errors import (
    CaseGoodwillAboveLimit,
    CreditAboveLimit,
    GoodwillAboveLimit,
    NotAuthorised,
    NotTheCustomer,
    PolicyExceptionRequired,
    SelfApprovalForbidden,
    SelfCommendationForbidden,
)

__all__ = [
    "APPROVERS",
    "RIGHTS",
    "STAFF",
    "SUPERVISOR_OR_ABOVE",
    "COMMENDATION_SOURCES",
    "EXCEPTION_APPROVERS",
    "require_approver",
    "require_commendation_source",
    "require_credit_limit",
    "require_not_self_commended",
    "require_praisable",
    "require_the_customer",
    "require_within_case_limit",
    "require_exception",
    "require_assignable",
    "require_right",
    "require_within_limit",
]

STAFF: frozenset[Role] = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.SYSTEM})
SUPERVISOR_OR_ABOVE: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.MANAGER})
_PEOPLE = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER})
_STAFF_AND_VENDOR = STAFF | {Role.VENDOR}

RIGHTS: Mapping[str, frozenset[Role]] = MappingProxyType(
    {
        "CaseOpened": STAFF,
        "AgentAssigned": STAFF,
        "CaseTransferred": STAFF,
        "CaseResolved": STAFF,
        "CaseClosed": STAFF,
        "CaseReopened": STAFF,
        "CasesLinked": STAFF,
        # Erasure is decided by the privacy officer alone, who records nothing else.
        "CustomerForgotten": frozenset({Role.PRIVACY_OFFICER}),
        "ContactLogged": _STAFF_AND_VENDOR | {Role.CUSTOMER},
        "NoteAdded": _STAFF_AND_VENDOR,
        "ComplaintRecorded": STAFF,
        "CommendationRecorded": STAFF,
        "DiagnosisRecorded": _STAFF_AND_VENDOR,
        "RemediationPerformed": _STAFF_AND_VENDOR,
        "EntitlementChecked": STAFF,
        "EscalationRequested": _PEOPLE,
        "EscalationApproved": SUPERVISOR_OR_ABOVE | {Role.VENDOR},
        "EscalationDenied": SUPERVISOR_OR_ABOVE | {Role.VENDOR},
        "GoodwillGranted": _PEOPLE,
        "RmaIssued": STAFF,
        "ReturnReceived": _STAFF_AND_VENDOR,
        "InspectionCompleted": _STAFF_AND_VENDOR,
        "RepairCompleted": _STAFF_AND_VENDOR,
        "ReplacementShipped": _STAFF_AND_VENDOR,
        "RmaRejected": STAFF,
        "RmaClosed": _STAFF_AND_VENDOR,
        "PaymentRecorded": STAFF,
        "RefundRequested": STAFF,
        "RefundIssued": STAFF,
        "RefundDenied": STAFF,
        "HoldPlaced": STAFF,
        "HoldReleased": STAFF,
        "CreditIssued": _PEOPLE,
        "CancellationRequested": STAFF,
        "CancellationCompleted": STAFF,
    }
)
"""event type name -> roles that may record it."""

APPROVERS: Mapping[EscalationTarget, frozenset[Role]] = MappingProxyType(
    {
        EscalationTarget.SUPERVISOR: SUPERVISOR_OR_ABOVE,
        EscalationTarget.MANAGER: frozenset({Role.MANAGER}),
        EscalationTarget.LEGAL: frozenset({Role.MANAGER}),
        EscalationTarget.VENDOR: SUPERVISOR_OR_ABOVE | {Role.VENDOR},
    }
)
"""escalation target -> roles that may approve or deny it."""


COMMENDATION_SOURCES: frozenset[Role] = frozenset({Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER})
"""Whose praise a commendation may record: the customer's or a supervisor's."""

EXCEPTION_APPROVERS: frozenset[EscalationTarget] = frozenset(
    {EscalationTarget.SUPERVISOR, EscalationTarget.MANAGER}
)
"""Approved escalations to these targets stand as an exception to policy on the case."""


_CHECKED = frozenset({Role.AUDITOR, Role.CUSTOMER})
"""Roles refused beyond the rights table (:func:`require_right`), checked one by one."""


def _names(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(role.name for role in roles))


def require_right(
    event_name: str, actor: Actor, case_id: UUID | None, direction: Direction | None = None
) -> None:
    """Raise :class:`NotAuthorised` unless ``actor``'s role may record ``event_name``."""
    role = actor.role
    if role not in _CHECKED and role in RIGHTS[event_name]:
        return  # every command passes here: no message written for an accepted one
    where = f"on case {case_id}" if case_id else "as a new case"
    if actor.role is Role.AUDITOR:
        raise NotAuthorised(
            f"{actor} may not record {event_name} {where} (rule: auditors read "
            "everything and write nothing); ask an agent to record it"
        )
    if actor.role is Role.CUSTOMER and (
        event_name != "ContactLogged" or direction is not Direction.INBOUND
    ):
        raise NotAuthorised(
            f"{actor} may not record {event_name} {where} (rule: a customer can only "
            "be the source of a contact, an inbound one); record it in an agent's name"
        )
    allowed = RIGHTS[event_name]
    if actor.role not in allowed:
        raise NotAuthorised(
            f"{actor} may not record {event_name} {where} (rule: rights table: "
            f"{event_name} needs one of {_names(allowed)})"
        )


def require_assignable(agent: Actor, case_id: UUID) -> None:
    """Raise :class:`NotAuthorised` unless ``agent`` is a person who can own a case."""
    if agent.role not in _PEOPLE:
        raise NotAuthorised(
            f"{agent} cannot be assigned case {case_id} (rule: only an AGENT, "
            "SUPERVISOR or MANAGER owns a case)"
        )


def require_praisable(agent: Actor, case_id: UUID) -> None:
    """Raise :class:`NotAuthorised` unless ``agent`` is a person who can own a case: the
    only ones a commendation praises (its record keeps their id, not their role)."""
    if agent.role not in _PEOPLE:
        raise NotAuthorised(
            f"a commendation of {agent} cannot be recorded on case {case_id} (rule: praise "
            "goes to an AGENT, SUPERVISOR or MANAGER, a person who can own a case)"
        )


def require_approver(
    actor: Actor, target: EscalationTarget, requested_by: Actor, number: int, case_id: UUID
) -> None:
    """Raise unless ``actor`` may decide escalation ``number`` to ``target``."""
    if actor.id == requested_by.id:
        raise SelfApprovalForbidden(
            f"{actor} requested escalation #{number} on case {case_id} and may not "
            "decide it (rule: no one decides their own escalation); ask a "
            f"{' or '.join(sorted(r.name for r in APPROVERS[target]))}"
        )
    if actor.role not in APPROVERS[target]:
        raise NotAuthorised(
            f"{actor} may not decide escalation #{number} to {target.name} on case "
            f"{case_id} (rule: escalations to {target.name} are decided by "
            f"{_names(APPROVERS[target])})"
        )


def require_within_limit(
    decision: PolicyDecision, by: Actor, what: str, value: Money, case_id: UUID
) -> None:
    """Raise :class:`GoodwillAboveLimit` when anyone below SUPERVISOR goes above the limit."""
    if not decision.entitled and by.role not in SUPERVISOR_OR_ABOVE:
        raise GoodwillAboveLimit(
            f"{what} of {value} on case {case_id} is above the agent limit of "
            f"{decision.compared['limit']} (rule: goodwill above the agent limit needs "
            f"SUPERVISOR or above, and {by} is not); ask a supervisor to grant it"
        )


def require_commendation_source(source: Actor, case_id: UUID) -> None:
    """Raise :class:`NotAuthorised` unless the praise comes from a customer or a supervisor."""
    if source.role not in COMMENDATION_SOURCES:
        raise NotAuthorised(
            f"a commendation from {source} cannot be recorded on case {case_id} (rule: "
            f"commendations come from {_names(COMMENDATION_SOURCES)})"
        )


def require_exception(
    decision: PolicyDecision,
    by: Actor,
    approved_exception: bool,
    breach: str,
    rule: str,
    case_id: UUID,
) -> None:
    """Raise :class:`PolicyExceptionRequired` when ``breach`` goes against ``decision`` and
    neither the actor is SUPERVISOR or above nor an approved escalation stands for it."""
    if decision.entitled or approved_exception or by.role in SUPERVISOR_OR_ABOVE:
        return
    raise PolicyExceptionRequired(
        f"{breach} on case {case_id}: {decision.outcome} ({decision.facts}) (rule: {rule}; "
        f"{by} is not, and no escalation to SUPERVISOR or MANAGER was approved); "
        "escalate, or ask a supervisor"
    )


def require_within_case_limit(
    decision: PolicyDecision, by: Actor, what: str, value: Money, case_id: UUID
) -> None:
    """Raise :class:`CaseGoodwillAboveLimit` when anyone below SUPERVISOR takes the
    case's goodwill above the per-case limit (rules 2)."""
    if not decision.entitled and by.role not in SUPERVISOR_OR_ABOVE:
        raise CaseGoodwillAboveLimit(
            f"{what} of {value} on case {case_id} takes the case's goodwill to "
            f"{decision.compared['total']}, above the agent's per-case limit of "
            f"{decision.compared['limit']} (rule: goodwill above the case limit needs "
            f"SUPERVISOR or above, and {by} is not); ask a supervisor to grant it"
        )


def require_credit_limit(
    decision: PolicyDecision, value: Money, manager_approved: bool, case_id: UUID
) -> None:
    """Raise :class:`CreditAboveLimit` when a credit is above its issuer's role limit and
    no escalation to MANAGER was approved on the case (rules 2)."""
    if decision.entitled or manager_approved:
        return
    raise CreditAboveLimit(
        f"credit of {value} on case {case_id} is above the {decision.compared['role']} "
        f"limit of {decision.compared['limit']} (rule: a credit above the issuer's role "
        "limit needs an escalation to MANAGER approved on the case); escalate to a manager"
    )


def require_the_customer(actor: Actor, customer_id: str, what: str, case_id: UUID) -> None:
    """Raise :class:`NotTheCustomer` when a CUSTOMER ``actor`` is not the case's customer
    (rules 2): a customer speaks for themselves only."""
    if actor.role is Role.CUSTOMER and actor.id != customer_id:
        raise NotTheCustomer(
            f"{actor} is not the customer of case {case_id} ({customer_id!r:.80}) and may "
            f"not be {what} (rule: a customer acts on their own cases only); record it "
            "in an agent's name"
        )


def require_not_self_commended(agent: Actor, by: Actor, source: Actor, case_id: UUID) -> None:
    """Raise :class:`SelfCommendationForbidden` when the praised agent records the
    commendation or is named as its source (rules 2): one person, whatever the role."""
    if agent.id in (by.id, source.id):
        raise SelfCommendationForbidden(
            f"{agent.id!r:.80} may not record or be the source of a commendation of "
            f"themselves on case {case_id} (rule: praise is recorded by someone other "
            "than the one praised); ask a colleague to record it"
        )
