"""Service work on a case: diagnosis, policy checks, escalations, goodwill, RMAs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casehistory.domain import events as ev
from casehistory.domain import rights
from casehistory.domain._support import CommandSupport, require_money
from casehistory.domain.policies import Policies
from casehistory.domain.state import Rma, RmaStage
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
    require_text,
)
from casehistory.errors import (
    EscalationAlreadyPending,
    EscalationNotPending,
    InvalidInput,
    ProductRequired,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
)

_CHECKABLE = (EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY)


def _require(value: object, kind: type[Any], name: str) -> None:
    if not isinstance(value, kind):
        raise InvalidInput(f"{name} must be a {kind.__name__}, got {value!r}")


class ServiceCommands(CommandSupport):
    def record_diagnosis(
        self,
        *,
        symptom: str,
        finding: str,
        root_cause: str,
        fault: Fault,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        known_issue: str | None = None,
    ) -> None:
        self._guard(ev.DiagnosisRecorded, by, occurred_at, recorded_at)
        for name, text in (("symptom", symptom), ("finding", finding), ("root_cause", root_cause)):
            require_text(text, name)
        _require(fault, Fault, "fault")
        if known_issue is not None:
            require_text(known_issue, "known_issue")
        self._record(
            ev.DiagnosisRecorded,
            by,
            occurred_at,
            recorded_at,
            symptom=symptom,
            finding=finding,
            root_cause=root_cause,
            fault=fault,
            known_issue=known_issue,
        )

    def record_remediation(
        self, *, action: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._guard(ev.RemediationPerformed, by, occurred_at, recorded_at)
        require_text(action, "action")
        self._record(ev.RemediationPerformed, by, occurred_at, recorded_at, action=action)

    def check_entitlement(
        self,
        *,
        kind: EntitlementKind,
        policies: Policies,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.EntitlementChecked, by, occurred_at, recorded_at)
        if kind not in _CHECKABLE:
            raise InvalidInput(
                f"check_entitlement checks RETURN_WINDOW or WARRANTY, got {kind!r}; "
                "the other policies are decided by the commands that need them"
            )
        product = self.state.product
        if product is None:
            raise ProductRequired(
                f"case {self.id} has no product, so {kind.name} has no purchase date to "
                "count from (rule: entitlement needs the product); open the case with a product"
            )
        policy = (
            policies.return_window if kind is EntitlementKind.RETURN_WINDOW else policies.warranty
        )
        decision = policy.decide(product, occurred_at.date())
        self._record(ev.EntitlementChecked, by, occurred_at, recorded_at, decision=decision)

    # Escalation -------------------------------------------------------------

    def request_escalation(
        self,
        *,
        to: EscalationTarget,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.EscalationRequested, by, occurred_at, recorded_at)
        _require(to, EscalationTarget, "to")
        require_text(reason, "reason")
        pending = self.state.pending_escalation
        if pending is not None:
            raise EscalationAlreadyPending(
                f"escalation #{pending.number} to {pending.to.name} on case {self.id} still "
                "awaits a decision (rule: one escalation at a time); approve or deny it first"
            )
        self._record(
            ev.EscalationRequested,
            by,
            occurred_at,
            recorded_at,
            number=len(self.state.escalations) + 1,
            to=to,
            reason=reason,
        )

    def _decide_escalation(
        self,
        event: type[ev.EscalationApproved | ev.EscalationDenied],
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(event, by, occurred_at, recorded_at)
        require_text(reason, "reason")
        pending = self.state.pending_escalation
        if pending is None:
            last = self.state.escalations[-1] if self.state.escalations else None
            why = (
                f"escalation #{last.number} was already {last.outcome.name} by {last.decided_by}"
                if last
                else "no escalation was ever requested"
            )
            raise EscalationNotPending(
                f"nothing to decide on case {self.id}: {why} (rule: an escalation is "
                "decided once); request a new escalation if needed"
            )
        rights.require_approver(by, pending.to, pending.requested_by, pending.number, self.id)
        self._record(event, by, occurred_at, recorded_at, number=pending.number, reason=reason)

    def approve_escalation(
        self, *, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._decide_escalation(ev.EscalationApproved, reason, by, occurred_at, recorded_at)

    def deny_escalation(
        self, *, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._decide_escalation(ev.EscalationDenied, reason, by, occurred_at, recorded_at)

    # Goodwill ---------------------------------------------------------------

    def grant_goodwill(
        self,
        *,
        kind: GoodwillKind,
        value: Money,
        reason: str,
        policies: Policies,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.GoodwillGranted, by, occurred_at, recorded_at)
        _require(kind, GoodwillKind, "kind")
        require_money(value, "value")
        require_text(reason, "reason")
        limit_check = policies.goodwill_limit.decide(value)
        rights.require_within_limit(limit_check, by, "goodwill", value, self.id)
        cutoff_check = None
        if kind is GoodwillKind.FREE_SHIPPING_UPGRADE:
            cutoff_check = policies.overnight_cutoff.decide(occurred_at)
        self._record(
            ev.GoodwillGranted,
            by,
            occurred_at,
            recorded_at,
            kind=kind,
            value=value,
            reason=reason,
            limit_check=limit_check,
            cutoff_check=cutoff_check,
        )

    # RMA --------------------------------------------------------------------

    def issue_rma(
        self,
        *,
        rma_number: str,
        items: str,
        reason: str,
        disposition: Disposition,
        policies: Policies,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.RmaIssued, by, occurred_at, recorded_at)
        require_text(rma_number, "rma_number")
        require_text(items, "items")
        require_text(reason, "reason")
        _require(disposition, Disposition, "disposition")
        if rma_number in self.state.rmas:
            raise InvalidInput(f"RMA {rma_number} was already issued on case {self.id}")
        decision = policies.return_shipping.decide(self.state.fault)
        self._record(
            ev.RmaIssued,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            items=items,
            reason=reason,
            disposition=disposition,
            return_shipping_paid_by=policies.return_shipping.payer(decision),
            shipping_decision=decision,
        )

    def _rma(self, number: str, step: str, *stages: RmaStage) -> Rma:
        """The RMA, if it exists and is at one of ``stages``; else the RMA-order error."""
        rma = self.state.rmas.get(number)
        if rma is None:
            issued = ", ".join(sorted(self.state.rmas)) or "none"
            raise RmaNotFound(f"case {self.id} has no RMA {number!r} (RMAs issued: {issued})")
        if rma.stage not in stages:
            needed = " or ".join(s.name for s in stages)
            raise RmaOutOfOrder(
                f"cannot {step} RMA {number} on case {self.id}: it is {rma.stage.name}, "
                f"and this step needs it {needed} (rule: RMA order issue -> receive -> "
                "inspect/repair -> close or reject)"
            )
        return rma

    def receive_return(
        self,
        *,
        rma_number: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        condition: str = "as packed",
    ) -> None:
        self._guard(ev.ReturnReceived, by, occurred_at, recorded_at)
        self._rma(rma_number, "receive the return of", RmaStage.ISSUED)
        require_text(condition, "condition")
        self._record(
            ev.ReturnReceived,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            condition=condition,
        )

    def complete_inspection(
        self,
        *,
        rma_number: str,
        outcome: InspectionOutcome,
        findings: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.InspectionCompleted, by, occurred_at, recorded_at)
        self._rma(rma_number, "inspect", RmaStage.RECEIVED)
        _require(outcome, InspectionOutcome, "outcome")
        require_text(findings, "findings")
        self._record(
            ev.InspectionCompleted,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            outcome=outcome,
            findings=findings,
        )

    def complete_repair(
        self,
        *,
        rma_number: str,
        work_done: str,
        covered_by: RepairCoverage,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        cost: Money | None = None,
    ) -> None:
        self._guard(ev.RepairCompleted, by, occurred_at, recorded_at)
        self._rma(rma_number, "repair", RmaStage.RECEIVED)
        require_text(work_done, "work_done")
        _require(covered_by, RepairCoverage, "covered_by")
        if cost is not None:
            _require(cost, Money, "cost")
        self._require_coverage(covered_by)
        self._record(
            ev.RepairCompleted,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            work_done=work_done,
            covered_by=covered_by,
            cost=cost,
        )

    def _require_coverage(self, covered_by: RepairCoverage) -> None:
        """Warranty needs an in-warranty decision or an approved escalation; vendor cover
        needs an approved escalation to the vendor or a known-issue programme."""
        state = self.state
        if covered_by is RepairCoverage.WARRANTY:
            decision = state.decisions.get(EntitlementKind.WARRANTY.name)
            if (
                decision is not None
                and not decision.entitled
                and not state.approved_escalation_to(*EscalationTarget)
            ):
                raise RepairNotCovered(
                    f"case {self.id}: warranty was checked {decision.outcome} ({decision}) "
                    "and no escalation was approved (rule: out-of-warranty repair needs an "
                    "approved escalation or a vendor known-issue programme); escalate first"
                )
        if covered_by is RepairCoverage.VENDOR and not (
            state.known_issue or state.approved_escalation_to(EscalationTarget.VENDOR)
        ):
            raise RepairNotCovered(
                f"case {self.id}: no known issue is recorded and no escalation to VENDOR was "
                "approved (rule: vendor cover needs either); escalate to VENDOR first"
            )

    def ship_replacement(
        self,
        *,
        rma_number: str,
        service_level: ServiceLevel,
        tracking: str,
        paid_by: Payer,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.ReplacementShipped, by, occurred_at, recorded_at)
        self._rma(rma_number, "ship a replacement for", RmaStage.ISSUED, RmaStage.RECEIVED)
        _require(service_level, ServiceLevel, "service_level")
        _require(paid_by, Payer, "paid_by")
        require_text(tracking, "tracking")
        self._record(
            ev.ReplacementShipped,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            service_level=service_level,
            tracking=tracking,
            paid_by=paid_by,
        )

    def reject_rma(
        self,
        *,
        rma_number: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.RmaRejected, by, occurred_at, recorded_at)
        self._rma(rma_number, "reject", RmaStage.ISSUED, RmaStage.RECEIVED)
        require_text(reason, "reason")
        self._record(
            ev.RmaRejected, by, occurred_at, recorded_at, rma_number=rma_number, reason=reason
        )

    def close_rma(
        self,
        *,
        rma_number: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        note: str = "closed",
    ) -> None:
        self._guard(ev.RmaClosed, by, occurred_at, recorded_at)
        self._rma(rma_number, "close", RmaStage.ISSUED, RmaStage.RECEIVED)
        require_text(note, "note")
        self._record(ev.RmaClosed, by, occurred_at, recorded_at, rma_number=rma_number, note=note)


__all__ = ["ServiceCommands"]
