"""Returns: RMAs, in the order issue -> receive -> inspect/repair -> close or reject."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casehistory.domain import events as ev
from casehistory.domain._support import CommandSupport
from casehistory.domain.policies import Policies
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
    require_text,
)
from casehistory.errors import (
    InvalidInput,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
)

_CHECKABLE = (EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY)


def _require(value: object, kind: type[Any], name: str) -> None:
    if not isinstance(value, kind):
        raise InvalidInput(f"{name} must be a {kind.__name__}, got {value!r}")


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


__all__ = ["RmaCommands"]
