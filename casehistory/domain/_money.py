"""Money and account commands: payments, refunds, holds, credits, cancellations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from casehistory.domain import events as ev
from casehistory.domain import rights
from casehistory.domain._support import CommandSupport, require_money
from casehistory.domain.policies import Policies
from casehistory.domain.values import (
    Actor,
    EntitlementKind,
    EscalationTarget,
    Money,
    require_text,
)
from casehistory.errors import (
    CancellationNotRequested,
    HoldNotFound,
    InvalidInput,
    NoRefundRequested,
)

__all__ = ["MoneyCommands"]


class MoneyCommands(CommandSupport):
    def record_payment(
        self,
        *,
        amount: Money,
        reference: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        policies: Policies | None = None,
    ) -> None:
        self._guard(ev.PaymentRecorded, by, occurred_at, recorded_at)
        require_money(amount, "amount")
        require_text(reference, "reference")
        extra: dict[str, Any] = {}
        if policies is not None:
            time_check = self._time_check(ev.PaymentRecorded, policies, occurred_at)
            if time_check is not None:
                extra["time_check"] = time_check
        self._record(
            ev.PaymentRecorded,
            by,
            occurred_at,
            recorded_at,
            policies=policies,
            amount=amount,
            reference=reference,
            **extra,
        )

    def request_refund(
        self, *, amount: Money, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._guard(ev.RefundRequested, by, occurred_at, recorded_at)
        require_money(amount, "amount")
        require_text(reason, "reason")
        self._record(ev.RefundRequested, by, occurred_at, recorded_at, amount=amount, reason=reason)

    def issue_refund(
        self,
        *,
        amount: Money,
        reason: str,
        policies: Policies,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        """Refund money, never more than was paid. Past the return window (as recorded,
        or decided now from the product) it is an exception to policy: a SUPERVISOR or
        above refunds, or an approved escalation stands for the exception."""
        self._guard(ev.RefundIssued, by, occurred_at, recorded_at)
        require_money(amount, "amount")
        require_text(reason, "reason")
        self.state.ledger.require_refundable(amount, self.id)
        window = self._decision(EntitlementKind.RETURN_WINDOW, policies, occurred_at)
        if window is not None:
            rights.require_exception(
                window,
                by,
                self._approved_exception(),
                breach=f"refund of {amount} is past the return window",
                rule="refunds past the window need an exception approved by SUPERVISOR or above",
                case_id=self.id,
            )
        self._record(
            ev.RefundIssued,
            by,
            occurred_at,
            recorded_at,
            policies=policies,
            amount=amount,
            reason=reason,
            policy_exception=window is not None and not window.entitled,
            window_check=window,
        )

    def deny_refund(
        self, *, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        """Deny the pending refund request, citing the recorded return-window decision if any."""
        self._guard(ev.RefundDenied, by, occurred_at, recorded_at)
        require_text(reason, "reason")
        if self.state.refund_requested is None:
            raise NoRefundRequested(
                f"case {self.id} has no pending refund request to deny (rule: a denial "
                "answers a request); record the request first"
            )
        self._record(
            ev.RefundDenied,
            by,
            occurred_at,
            recorded_at,
            reason=reason,
            decision=self.state.decisions.get(EntitlementKind.RETURN_WINDOW.name),
        )

    def place_hold(
        self,
        *,
        amount: Money,
        account: str,
        reference: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.HoldPlaced, by, occurred_at, recorded_at)
        require_money(amount, "amount")
        for name, text in (("account", account), ("reference", reference), ("reason", reason)):
            require_text(text, name)
        if reference in self.state.holds:
            raise InvalidInput(
                f"hold {reference!r} already exists on case {self.id}; use a new reference"
            )
        self._record(
            ev.HoldPlaced,
            by,
            occurred_at,
            recorded_at,
            amount=amount,
            account=account,
            reference=reference,
            reason=reason,
        )

    def release_hold(
        self,
        *,
        reference: str,
        amount: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.HoldReleased, by, occurred_at, recorded_at)
        require_money(amount, "amount")
        require_text(reason, "reason")
        hold = self.state.holds.get(require_text(reference, "reference"))
        if hold is None:
            known = ", ".join(sorted(self.state.holds)) or "none"
            raise HoldNotFound(
                f"case {self.id} has no hold {reference!r} (holds: {known}) (rule: a release "
                "names a placed hold); check the reference"
            )
        hold.require_releasable(amount, self.id)
        self._record(
            ev.HoldReleased,
            by,
            occurred_at,
            recorded_at,
            amount=amount,
            reference=reference,
            reason=reason,
        )

    def issue_credit(
        self,
        *,
        amount: Money,
        reason: str,
        policies: Policies,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CreditIssued, by, occurred_at, recorded_at)
        require_money(amount, "amount")
        require_text(reason, "reason")
        limit_check = policies.goodwill_limit.decide(amount)
        rights.require_within_limit(limit_check, by, "credit", amount, self.id)
        checks: dict[str, Any] = {"limit_check": limit_check}
        if self.state.rules >= 2:
            checks["credit_check"] = credit_check = policies.credit_limit.decide(amount, by.role)
            manager = self.state.approved_escalation_to(EscalationTarget.MANAGER) is not None
            rights.require_credit_limit(credit_check, amount, manager, self.id)
        self._record(
            ev.CreditIssued,
            by,
            occurred_at,
            recorded_at,
            amount=amount,
            reason=reason,
            **checks,
            policies=policies,
        )

    def request_cancellation(
        self,
        *,
        subscription: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CancellationRequested, by, occurred_at, recorded_at)
        require_text(subscription, "subscription")
        require_text(reason, "reason")
        self._record(
            ev.CancellationRequested,
            by,
            occurred_at,
            recorded_at,
            subscription=subscription,
            reason=reason,
        )

    def complete_cancellation(
        self,
        *,
        subscription: str,
        effective_on: date,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CancellationCompleted, by, occurred_at, recorded_at)
        require_text(subscription, "subscription")
        if subscription not in self.state.cancellations_requested:
            asked = ", ".join(sorted(self.state.cancellations_requested)) or "none"
            raise CancellationNotRequested(
                f"case {self.id} has no request to cancel {subscription!r} (requested: "
                f"{asked}) (rule: a cancellation completes a request); record the request first"
            )
        if not isinstance(effective_on, date) or isinstance(effective_on, datetime):
            raise InvalidInput(f"effective_on must be a date, got {effective_on!r}")
        self._record(
            ev.CancellationCompleted,
            by,
            occurred_at,
            recorded_at,
            subscription=subscription,
            effective_on=effective_on,
        )
