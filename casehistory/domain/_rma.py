"""Returns: RMAs, in the order issue -> receive -> inspect/repair -> close or reject."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    OvernightNotGranted,
    RepairNotCovered,
    ReturnNotReceived,
    RmaAlreadyInspected,
    RmaMustBeRejected,
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
            policies=policies,
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
        rma = self._rma(rma_number, "inspect", RmaStage.RECEIVED)
        if rma.inspection is not None and self.state.rules >= 2:
            raise RmaAlreadyInspected(
                f"RMA {rma_number} on case {self.id} was inspected already: "
                f"{rma.inspection.name} (rule: a return is inspected once; its outcome "
                "decides between close and reject); add a note to correct the findings"
            )
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
        goodwill: dict[str, Any] = {}
        if covered_by is RepairCoverage.GOODWILL and self.state.rules >= 2:
            if cost is None:
                raise RepairNotCovered(
                    f"case {self.id}: a repair covered by GOODWILL needs its cost (rule: "
                    "goodwill cover is goodwill, within the goodwill limits); give cost="
                )
            cost.require_positive("cost")
            goodwill = self._goodwill_limits(policies, by, "goodwill cover", cost)
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
            policies=policies,
            rma_number=rma_number,
            work_done=work_done,
            covered_by=covered_by,
            cost=cost,
            warranty_check=warranty_check,
            **goodwill,
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
        if state.rules >= 2:
            # A known issue is what an agent typed; an approved escalation to VENDOR is a
            # decision someone with the right took (a supervisor, a manager, the vendor).
            if not state.approved_escalation_to(EscalationTarget.VENDOR):
                raise RepairNotCovered(
                    f"case {self.id}: no escalation to VENDOR was approved (rule: vendor "
                    "cover needs an approved escalation to VENDOR, known issue or not); "
                    "escalate to VENDOR first"
                )
            return
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
        carrier: str | None = None,
    ) -> None:
        self._guard(ev.ReplacementShipped, by, occurred_at, recorded_at)
        self._rma(rma_number, "ship a replacement for", RmaStage.ISSUED, RmaStage.RECEIVED)
        require_instance(service_level, ServiceLevel, "service_level")
        require_instance(paid_by, Payer, "paid_by")
        require_text(tracking, "tracking")
        if carrier is not None:
            require_text(carrier, "carrier")
        if (
            service_level is ServiceLevel.OVERNIGHT
            and paid_by is Payer.COMPANY
            and self.state.rules >= 2
        ):
            self._require_overnight_grant(occurred_at)
        self._record(
            ev.ReplacementShipped,
            by,
            occurred_at,
            recorded_at,
            rma_number=rma_number,
            service_level=service_level,
            tracking_number=tracking,
            paid_by=paid_by,
            carrier=carrier,
        )

    def _require_overnight_grant(self, occurred_at: datetime) -> None:
        """An OVERNIGHT shipment at the company's cost needs an overnight upgrade granted
        as goodwill and not used by another such shipment, for its day (the case's
        latest cut-off decision): the day of the grant when it was SAME_DAY, a later day
        when it was NEXT_DAY."""
        cutoff = self.state.decisions.get(EntitlementKind.OVERNIGHT_CUTOFF.name)
        if cutoff is None or self.state.overnight_upgrades < 1:
            used = "" if cutoff is None else ", and each grant ships once: all were used"
            raise OvernightNotGranted(
                f"case {self.id}: no overnight upgrade was granted{used} (rule: an "
                "OVERNIGHT shipment at the company's cost is goodwill, granted as "
                "FREE_SHIPPING_UPGRADE, one grant for one shipment); grant it first, or "
                "ship STANDARD"
            )
        granted = datetime.fromisoformat(cutoff.compared["granted_at"])
        day, shipped = granted.date(), occurred_at.astimezone(granted.tzinfo).date()
        if shipped < day or (shipped == day and not cutoff.entitled):
            raise OvernightNotGranted(
                f"case {self.id}: the overnight upgrade was granted {cutoff.outcome} "
                f"({cutoff.facts}), and the shipment is dated {shipped.isoformat()} (rule: "
                "past the cut-off the upgrade ships the next day); ship it the next day"
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
        rma = self._rma(rma_number, "close", RmaStage.ISSUED, RmaStage.RECEIVED)
        require_text(note, "note")
        if self.state.rules >= 2:
            if rma.stage is RmaStage.ISSUED:
                raise ReturnNotReceived(
                    f"RMA {rma_number} on case {self.id} was never received (rule: an RMA "
                    "whose goods did not arrive is rejected, not closed); reject it"
                )
            if rma.inspection is InspectionOutcome.NOT_AS_DESCRIBED:
                raise RmaMustBeRejected(
                    f"RMA {rma_number} on case {self.id} was inspected NOT_AS_DESCRIBED "
                    "(rule: goods not as described are rejected, not closed); reject it"
                )
        self._record(ev.RmaClosed, by, occurred_at, recorded_at, rma_number=rma_number, note=note)


__all__ = ["RmaCommands"]
