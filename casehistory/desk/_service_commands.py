"""Desk commands for service work: diagnosis, policy checks, escalations, goodwill, RMAs.

Each method is load, act, save: the rules live in the domain, not here.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from casehistory.desk._base import DeskBase
from casehistory.desk._idempotent import command
from casehistory.domain.values import (
    Actor,
    Disposition,
    EntitlementKind,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    Money,
    Payer,
    RepairCoverage,
    ServiceLevel,
)


class ServiceCommands(DeskBase):
    # Diagnosis and policy ----------------------------------------------------

    @command
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
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record a diagnosis; its fault becomes the case's fault until resolution."""
        return self._run(
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
                policies=self.policies,
            ),
        )

    @command
    def record_remediation(
        self,
        case_id: UUID,
        *,
        action: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record what was done to fix the problem (e.g. malware removed)."""
        return self._run(
            case_id,
            lambda c, now: c.record_remediation(
                action=action, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def check_entitlement(
        self,
        case_id: UUID,
        *,
        kind: EntitlementKind,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Decide RETURN_WINDOW or WARRANTY with the desk's policies and record the decision."""
        return self._run(
            case_id,
            lambda c, now: c.check_entitlement(
                kind=kind, policies=self.policies, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    # Escalation and goodwill ---------------------------------------------------

    @command
    def request_escalation(
        self,
        case_id: UUID,
        *,
        to: EscalationTarget,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Ask for a decision from above; the case is ESCALATED until it is decided."""
        return self._run(
            case_id,
            lambda c, now: c.request_escalation(
                to=to, reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def approve_escalation(
        self,
        case_id: UUID,
        *,
        number: int,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Approve escalation ``number``, the one awaiting a decision (never one's own);
        another number is refused (:class:`~casehistory.errors.EscalationNotPending`)."""
        return self._run(
            case_id,
            lambda c, now: c.approve_escalation(
                number=number, reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def deny_escalation(
        self,
        case_id: UUID,
        *,
        number: int,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Deny escalation ``number``, the one awaiting a decision (never one's own);
        another number is refused (:class:`~casehistory.errors.EscalationNotPending`)."""
        return self._run(
            case_id,
            lambda c, now: c.deny_escalation(
                number=number, reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def grant_goodwill(
        self,
        case_id: UUID,
        *,
        kind: GoodwillKind,
        amount: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Grant goodwill; above the agent limit only a SUPERVISOR or MANAGER may."""
        return self._run(
            case_id,
            lambda c, now: c.grant_goodwill(
                kind=kind,
                amount=amount,
                reason=reason,
                policies=self.policies,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    # RMA -----------------------------------------------------------------------

    @command
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
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Issue a return authorisation; the return-shipping policy decides who pays."""
        return self._run(
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

    @command
    def receive_return(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        by: Actor,
        occurred_at: datetime,
        condition: str = "as packed",
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record that the returned goods arrived."""
        return self._run(
            case_id,
            lambda c, now: c.receive_return(
                rma_number=rma_number,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                condition=condition,
            ),
        )

    @command
    def complete_inspection(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        outcome: InspectionOutcome,
        findings: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record the inspection of a received return."""
        return self._run(
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

    @command
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
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record a repair of a received return and who covers it."""
        return self._run(
            case_id,
            lambda c, now: c.complete_repair(
                rma_number=rma_number,
                work_done=work_done,
                covered_by=covered_by,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                policies=self.policies,
                cost=cost,
            ),
        )

    @command
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
        carrier: str | None = None,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record a replacement shipped under an open RMA (``carrier``: who ships it)."""
        return self._run(
            case_id,
            lambda c, now: c.ship_replacement(
                rma_number=rma_number,
                service_level=service_level,
                tracking=tracking,
                paid_by=paid_by,
                carrier=carrier,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def reject_rma(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Reject an RMA (e.g. the box held rocks)."""
        return self._run(
            case_id,
            lambda c, now: c.reject_rma(
                rma_number=rma_number,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def close_rma(
        self,
        case_id: UUID,
        *,
        rma_number: str,
        by: Actor,
        occurred_at: datetime,
        note: str = "closed",
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Close an RMA whose work is done."""
        return self._run(
            case_id,
            lambda c, now: c.close_rma(
                rma_number=rma_number, by=by, occurred_at=occurred_at, recorded_at=now, note=note
            ),
        )
