"""Service work on a case: diagnosis, policy checks, escalations, goodwill."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casehistory.domain import events as ev
from casehistory.domain import rights
from casehistory.domain._support import CommandSupport, require_money
from casehistory.domain.policies import Policies, require_entitlement_kind
from casehistory.domain.state import RmaStage
from casehistory.domain.values import (
    Actor,
    EntitlementKind,
    EscalationTarget,
    Fault,
    GoodwillKind,
    Money,
    Payer,
    require_instance,
    require_text,
)
from casehistory.errors import (
    EscalationAlreadyPending,
    EscalationNotPending,
    InvalidInput,
    ProductRequired,
)


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
        policies: Policies | None = None,
    ) -> None:
        self._guard(ev.DiagnosisRecorded, by, occurred_at, recorded_at)
        for name, text in (("symptom", symptom), ("finding", finding), ("root_cause", root_cause)):
            require_text(text, name)
        require_instance(fault, Fault, "fault")
        if known_issue is not None:
            require_text(known_issue, "known_issue")
        shipping: dict[str, Any] = {}
        if policies is not None and self._customer_pays_open_rma():
            # The customer was to pay the return; a fault found now may say otherwise.
            shipping["shipping_decision"] = policies.return_shipping.decide(fault)
        self._record(
            ev.DiagnosisRecorded,
            by,
            occurred_at,
            recorded_at,
            policies=policies,
            symptom=symptom,
            finding=finding,
            root_cause=root_cause,
            fault=fault,
            known_issue=known_issue,
            **shipping,
        )

    def _customer_pays_open_rma(self) -> bool:
        """Whether an RMA not yet closed or rejected has the customer paying its return
        shipping, on a case held to rules 2."""
        return self.state.rules >= 2 and any(
            rma.return_shipping_paid_by is Payer.CUSTOMER
            and rma.stage in (RmaStage.ISSUED, RmaStage.RECEIVED)
            for rma in self.state.rmas.values()
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
        require_entitlement_kind(kind)
        product = self.state.product
        if product is None:
            raise ProductRequired(
                f"case {self.id} has no product, so {kind.name} has no purchase date to "
                "count from (rule: entitlement needs the product); open the case with a product"
            )
        decision = policies.entitlement(kind, product, occurred_at.date())
        self._record(
            ev.EntitlementChecked,
            by,
            occurred_at,
            recorded_at,
            decision=decision,
            policies=policies,
        )

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
        require_instance(to, EscalationTarget, "to")
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
        number: int,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(event, by, occurred_at, recorded_at)
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidInput(f"number is an escalation's number (1, 2, ...), got {number!r:.80}")
        require_text(reason, "reason")
        pending = self.state.pending_escalation
        if pending is None or pending.number != number:
            raise EscalationNotPending(self._not_pending(number))
        rights.require_approver(by, pending.to, pending.requested_by, pending.number, self.id)
        self._record(event, by, occurred_at, recorded_at, number=number, reason=reason)

    def _not_pending(self, number: int) -> str:
        """Why escalation ``number`` cannot be decided now, and which one can."""
        pending = self.state.pending_escalation
        asked = next((e for e in self.state.escalations if e.number == number), None)
        if asked is not None and asked is not pending:
            why = (
                f"escalation #{number} on case {self.id} was already {asked.outcome.name} "
                f"by {asked.decided_by}"
            )
        elif self.state.escalations:
            why = f"case {self.id} has no escalation #{number}"
        else:
            why = f"no escalation was ever requested on case {self.id}"
        if pending is None:
            way_out = "none awaits a decision; request a new escalation if needed"
        else:
            way_out = f"decide #{pending.number} to {pending.to.name}, the one awaiting a decision"
        return f"{why} (rule: an escalation is decided once, named by its number); {way_out}"

    def approve_escalation(
        self, *, number: int, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        """Approve escalation ``number``, the one awaiting a decision."""
        self._decide_escalation(ev.EscalationApproved, number, reason, by, occurred_at, recorded_at)

    def deny_escalation(
        self, *, number: int, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        """Deny escalation ``number``, the one awaiting a decision."""
        self._decide_escalation(ev.EscalationDenied, number, reason, by, occurred_at, recorded_at)

    # Goodwill ---------------------------------------------------------------

    def grant_goodwill(
        self,
        *,
        kind: GoodwillKind,
        amount: Money,
        reason: str,
        policies: Policies,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.GoodwillGranted, by, occurred_at, recorded_at)
        require_instance(kind, GoodwillKind, "kind")
        require_money(amount, "amount")
        require_text(reason, "reason")
        limits = self._goodwill_limits(policies, by, "goodwill", amount)
        cutoff_check = None
        if kind is GoodwillKind.FREE_SHIPPING_UPGRADE:
            cutoff_check = policies.overnight_cutoff.decide(occurred_at)
        self._record(
            ev.GoodwillGranted,
            by,
            occurred_at,
            recorded_at,
            policies=policies,
            kind=kind,
            value=amount,  # the event's field keeps its name: stored records are forever
            reason=reason,
            cutoff_check=cutoff_check,
            **limits,
        )


__all__ = ["ServiceCommands"]
