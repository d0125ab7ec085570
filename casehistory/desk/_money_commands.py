"""Desk commands for money and accounts. Each is load, act, save."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from casehistory.desk._base import DeskBase
from casehistory.desk._idempotent import command
from casehistory.domain.values import Actor, Money


class MoneyCommands(DeskBase):
    @command
    def record_payment(
        self,
        case_id: UUID,
        *,
        amount: Money,
        reference: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record money the customer paid."""
        return self._run(
            case_id,
            lambda c, now: c.record_payment(
                amount=amount,
                reference=reference,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                policies=self.policies,
            ),
        )

    @command
    def request_refund(
        self,
        case_id: UUID,
        *,
        amount: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record that the customer asked for money back."""
        return self._run(
            case_id,
            lambda c, now: c.request_refund(
                amount=amount, reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def issue_refund(
        self,
        case_id: UUID,
        *,
        amount: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Refund money: never more than was paid; past the window an exception is needed."""
        return self._run(
            case_id,
            lambda c, now: c.issue_refund(
                amount=amount,
                reason=reason,
                policies=self.policies,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def deny_refund(
        self,
        case_id: UUID,
        *,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Deny the pending refund request, citing the recorded return-window decision."""
        return self._run(
            case_id,
            lambda c, now: c.deny_refund(
                reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def place_hold(
        self,
        case_id: UUID,
        *,
        amount: Money,
        account: str,
        reference: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record money held on the customer's account under a new ``reference``."""
        return self._run(
            case_id,
            lambda c, now: c.place_hold(
                amount=amount,
                account=account,
                reference=reference,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def release_hold(
        self,
        case_id: UUID,
        *,
        reference: str,
        amount: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Release held money: never more than the hold still holds."""
        return self._run(
            case_id,
            lambda c, now: c.release_hold(
                reference=reference,
                amount=amount,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def issue_credit(
        self,
        case_id: UUID,
        *,
        amount: Money,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Credit the customer's account; above the agent limit only a supervisor may."""
        return self._run(
            case_id,
            lambda c, now: c.issue_credit(
                amount=amount,
                reason=reason,
                policies=self.policies,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def request_cancellation(
        self,
        case_id: UUID,
        *,
        subscription: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record that the customer asked to cancel a subscription."""
        return self._run(
            case_id,
            lambda c, now: c.request_cancellation(
                subscription=subscription,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def complete_cancellation(
        self,
        case_id: UUID,
        *,
        subscription: str,
        effective_on: date,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record that the cancellation took effect on ``effective_on``."""
        return self._run(
            case_id,
            lambda c, now: c.complete_cancellation(
                subscription=subscription,
                effective_on=effective_on,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )
