"""Desk commands for the lifecycle, contacts and service work of a case.

Each method is load, act, save: the rules live in the domain, not here.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from casehistory.desk._base import DeskBase
from casehistory.domain.case import Case
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
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
    Product,
    RepairCoverage,
    ServiceLevel,
)
from casehistory.errors import CaseAlreadyExists, CaseNotFound


class CaseCommands(DeskBase):
    # Lifecycle ---------------------------------------------------------------

    def open_case(
        self,
        *,
        customer: Customer,
        subject: str,
        channel: Channel,
        by: Actor,
        occurred_at: datetime,
        product: Product | None = None,
        case_id: UUID | None = None,
    ) -> UUID:
        """Open a case (status NEW) and return its id. ``case_id`` imports an existing id."""
        if case_id is not None:
            try:
                self.history(case_id)
            except CaseNotFound:
                pass
            else:
                raise CaseAlreadyExists(f"case {case_id} already exists; open it without case_id")
        case = Case.open(
            customer=customer,
            subject=subject,
            channel=channel,
            by=by,
            occurred_at=occurred_at,
            recorded_at=self._now(),
            product=product,
            case_id=case_id,
        )
        self._save(case)
        return case.id

    def assign_agent(
        self, case_id: UUID, *, agent: Actor, by: Actor, occurred_at: datetime
    ) -> None:
        """Assign the case to ``agent``; a NEW case becomes OPEN."""
        self._run(
            case_id,
            lambda c, now: c.assign_agent(
                agent=agent, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def transfer_case(
        self, case_id: UUID, *, to_department: str, reason: str, by: Actor, occurred_at: datetime
    ) -> None:
        """Move the case to another department; the trail shows from where to where."""
        self._run(
            case_id,
            lambda c, now: c.transfer_case(
                to_department=to_department,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    def resolve_case(
        self, case_id: UUID, *, resolution: str, fault: Fault, by: Actor, occurred_at: datetime
    ) -> None:
        """Resolve the case, recording whose fault the problem was."""
        self._run(
            case_id,
            lambda c, now: c.resolve_case(
                resolution=resolution, fault=fault, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def close_case(self, case_id: UUID, *, by: Actor, occurred_at: datetime) -> None:
        """Close a resolved case. A closed case accepts nothing but a reopen."""
        self._run(
            case_id, lambda c, now: c.close_case(by=by, occurred_at=occurred_at, recorded_at=now)
        )

    def reopen_case(self, case_id: UUID, *, reason: str, by: Actor, occurred_at: datetime) -> None:
        """Reopen a resolved or closed case; it becomes OPEN."""
        self._run(
            case_id,
            lambda c, now: c.reopen_case(
                reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def link_cases(
        self,
        case_id: UUID,
        *,
        other_case_id: UUID,
        relation: LinkKind,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Link this case to another existing case (RELATED or DUPLICATE_OF)."""
        self.history(other_case_id)  # CaseNotFound unless the other case exists
        self._run(
            case_id,
            lambda c, now: c.link_cases(
                other_case_id=other_case_id,
                relation=relation,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    # Contact -----------------------------------------------------------------

    def log_contact(
        self,
        case_id: UUID,
        *,
        channel: Channel,
        direction: Direction,
        summary: str,
        demeanour: Demeanour,
        by: Actor,
        occurred_at: datetime,
        awaiting_reply: bool = False,
    ) -> None:
        """Log a contact. ``awaiting_reply`` (outbound only) puts the case AWAITING_CUSTOMER."""
        self._run(
            case_id,
            lambda c, now: c.log_contact(
                channel=channel,
                direction=direction,
                summary=summary,
                demeanour=demeanour,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                awaiting_reply=awaiting_reply,
            ),
        )

    def add_note(self, case_id: UUID, *, text: str, by: Actor, occurred_at: datetime) -> None:
        """Add an internal note."""
        self._run(
            case_id,
            lambda c, now: c.add_note(text=text, by=by, occurred_at=occurred_at, recorded_at=now),
        )

    def record_complaint(
        self,
        case_id: UUID,
        *,
        category: ComplaintCategory,
        details: str,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Record a complaint (bait and switch, a legal threat, ...)."""
        self._run(
            case_id,
            lambda c, now: c.record_complaint(
                category=category, details=details, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def record_commendation(
        self,
        case_id: UUID,
        *,
        agent_id: str,
        source: Actor,
        text: str,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Record praise for an agent, from ``source`` (a customer or a supervisor)."""
        self._run(
            case_id,
            lambda c, now: c.record_commendation(
                agent_id=agent_id,
                source=source,
                text=text,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    # Diagnosis and policy ----------------------------------------------------

    def record_diagnosis(
        self,
        case_id: UUID,
        *,
        symptom: str,
        finding: str,
        root_cause: str,
        fault: Fault,
        by: Actor,
        occurred_at: datetime,
        known_issue: str | None = None,
    ) -> None:
        """Record a diagnosis; its fault becomes the case's fault until resolution."""
        self._run(
            case_id,
            lambda c, now: c.record_diagnosis(
                symptom=symptom,
                finding=finding,
                root_cause=root_cause,
                fault=fault,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                known_issue=known_issue,
            ),
        )

    def record_remediation(
        self, case_id: UUID, *, action: str, by: Actor, occurred_at: datetime
    ) -> None:
        """Record what was done to fix the problem (e.g. malware removed)."""
        self._run(
            case_id,
            lambda c, now: c.record_remediation(
                action=action, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def check_entitlement(
        self, case_id: UUID, *, kind: EntitlementKind, by: Actor, occurred_at: datetime
    ) -> None:
        """Decide RETURN_WINDOW or WARRANTY with the desk's policies and record the decision."""
        self._run(
            case_id,
            lambda c, now: c.check_entitlement(
                kind=kind, policies=self.policies, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    # Escalation and goodwill ---------------------------------------------------

    def request_escalation(
        self, case_id: UUID, *, to: EscalationTarget, reason: str, by: Actor, occurred_at: datetime
    ) -> None:
        """Ask for a decision from above; the case is ESCALATED until it is decided."""
        self._run(
            case_id,
            lambda c, now: c.request_escalation(
                to=to, reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def approve_escalation(
        self, case_id: UUID, *, reason: str, by: Actor, occurred_at: datetime
    ) -> None:
        """Approve the pending escalation (never one's own)."""
        self._run(
            case_id,
            lambda c, now: c.approve_escalation(
                reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def deny_escalation(
        self, case_id: UUID, *, reason: str, by: Actor, occurred_at: datetime
    ) -> None:
        """Deny the pending escalation (never one's own)."""
        self._run(
            case_id,
            lambda c, now: c.deny_escalation(
                reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    def grant_goodwill(
        self,
        case_id: UUID,
        *,
        kind: GoodwillKind,
        value: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Grant goodwill; above the agent limit only a SUPERVISOR or MANAGER may."""
        self._run(
            case_id,
            lambda c, now: c.grant_goodwill(
                kind=kind,
                value=value,
                reason=reason,
                policies=self.policies,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    # RMA -----------------------------------------------------------------------

    def issue_rma(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        items: str,
        reason: str,
        disposition: Disposition,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Issue a return authorisation; the return-shipping policy decides who pays."""
        self._run(
            case_id,
            lambda c, now: c.issue_rma(
                rma_number=rma_number,
                items=items,
                reason=reason,
                disposition=disposition,
                policies=self.policies,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    def receive_return(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        by: Actor,
        occurred_at: datetime,
        condition: str = "as packed",
    ) -> None:
        """Record that the returned goods arrived."""
        self._run(
            case_id,
            lambda c, now: c.receive_return(
                rma_number=rma_number,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                condition=condition,
            ),
        )

    def complete_inspection(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        outcome: InspectionOutcome,
        findings: str,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Record the inspection of a received return."""
        self._run(
            case_id,
            lambda c, now: c.complete_inspection(
                rma_number=rma_number,
                outcome=outcome,
                findings=findings,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    def complete_repair(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        work_done: str,
        covered_by: RepairCoverage,
        by: Actor,
        occurred_at: datetime,
        cost: Money | None = None,
    ) -> None:
        """Record a repair of a received return and who covers it."""
        self._run(
            case_id,
            lambda c, now: c.complete_repair(
                rma_number=rma_number,
                work_done=work_done,
                covered_by=covered_by,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                cost=cost,
            ),
        )

    def ship_replacement(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        service_level: ServiceLevel,
        tracking: str,
        paid_by: Payer,
        by: Actor,
        occurred_at: datetime,
    ) -> None:
        """Record a replacement shipped under an open RMA."""
        self._run(
            case_id,
            lambda c, now: c.ship_replacement(
                rma_number=rma_number,
                service_level=service_level,
                tracking=tracking,
                paid_by=paid_by,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    def reject_rma(
        self, case_id: UUID, *, rma_number: str, reason: str, by: Actor, occurred_at: datetime
    ) -> None:
        """Reject an RMA (e.g. the box held rocks)."""
        self._run(
            case_id,
            lambda c, now: c.reject_rma(
                rma_number=rma_number,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    def close_rma(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        by: Actor,
        occurred_at: datetime,
        note: str = "closed",
    ) -> None:
        """Close an RMA whose work is done."""
        self._run(
            case_id,
            lambda c, now: c.close_rma(
                rma_number=rma_number, by=by, occurred_at=occurred_at, recorded_at=now, note=note
            ),
        )
