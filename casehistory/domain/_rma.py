"""Returns: RMAs, in the order issue -> receive -> inspect/repair -> close or reject."""

from __future__ import annotations

from datetime import datetime

from casehistory.domain import events as ev
from casehistory.domain._support import CommandSupport
from casehistory.domain.policies import Policies, PolicyDecision
from casehistory.domain.rights import EXCEPTION_APPROVERS as EXCEPTION_TARGETS
from casehistory.domain.state import Rma, RmaStage
from casehistory.domain.values import (
    Actor,
    Disposition,
    EntitlementKind,
    EscalationTarget,
    InspectionOutcome,
    Money,
    Payer,
    RepairCoverage,
    ServiceLevel,
    require_instance,
    require_text,
)
from casehistory.errors import (
    InvalidInput,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
)


class RmaCommands(CommandSupport):
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
        require_instance(disposition, Disposition, "disposition")
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
        rma = self.state.rmas.get(require_text(number, "rma_number"))
        if rma is None:
            issued = ", ".join(sorted(self.state.rmas)) or "none"
            raise RmaNotFound(
                f"case {self.id} has no RMA {number!r} (RMAs issued: {issued}) (rule: RMA "
                "steps follow an issued RMA); check the number, or issue the RMA first"
            )
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
        require_instance(outcome, InspectionOutcome, "outcome")
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
        policies: Policies,
        cost: Money | None = None,
    ) -> None:
        self._guard(ev.RepairCompleted, by, occurred_at, recorded_at)
        self._rma(rma_number, "repair", RmaStage.RECEIVED)
        require_text(work_done, "work_done")
        require_instance(covered_by, RepairCoverage, "covered_by")
        if cost is not None:
            require_instance(cost, Money, "cost")
        warranty_check = None
        if covered_by is RepairCoverage.WARRANTY:
            warranty_check = self._decision(EntitlementKind.WARRANTY, policies, occurred_at)
            self._require_warranty(warranty_check)
        if covered_by is RepairCoverage.VENDOR:
            self._require_vendor_cover()
        self._record(
            ev.RepairCompleted,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            work_done=work_done,
            covered_by=covered_by,
            cost=cost,
            warranty_check=warranty_check,
        )

    def _require_warranty(self, decision: PolicyDecision | None) -> None:
        """Warranty cover needs an in-warranty decision, or an approved escalation."""
        if decision is None:
            raise RepairNotCovered(
                f"case {self.id} has no product, so no warranty to cover the repair (rule: "
                "warranty cover needs the product's warranty); record the cover as "
                "GOODWILL, VENDOR or CUSTOMER"
            )
        covering = (*EXCEPTION_TARGETS, EscalationTarget.VENDOR)
        if not decision.entitled and not self.state.approved_escalation_to(*covering):
            raise RepairNotCovered(
                f"case {self.id}: warranty was checked {decision.outcome} ({decision.facts}) "
                "(rule: out-of-warranty repair needs an "
                "approved escalation or a vendor known-issue programme); escalate first"
            )

    def _require_vendor_cover(self) -> None:
        """Vendor cover needs a known-issue programme or an approved escalation to VENDOR."""
        state = self.state
        if not (state.known_issue or state.approved_escalation_to(EscalationTarget.VENDOR)):
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
        require_instance(service_level, ServiceLevel, "service_level")
        require_instance(paid_by, Payer, "paid_by")
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


__all__ = ["RmaCommands"]
