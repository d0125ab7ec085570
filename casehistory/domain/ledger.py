"""The money ledger of a case, per currency, and the rules that keep it honest.

Paid, refunded, credited, goodwill, held and released are running totals per
currency. Two invariants are enforced here and nowhere else: refunds never exceed
payments, and releases never exceed what a hold still holds.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import attrs

from casehistory.domain.sealed import Text
from casehistory.domain.values import Money
from casehistory.errors import RefundExceedsPaid, ReleaseExceedsHold

__all__ = ["Balance", "Hold", "Ledger", "LEDGER_COLUMNS"]

_ZERO = Decimal("0.00")

LEDGER_COLUMNS = ("paid", "refunded", "credited", "goodwill", "held", "released")
"""The running totals a ledger keeps, in the order summaries print them."""


@attrs.frozen
class Balance:
    """The running totals of one currency on one case."""

    currency: str
    paid: Decimal = _ZERO
    refunded: Decimal = _ZERO
    credited: Decimal = _ZERO
    goodwill: Decimal = _ZERO
    held: Decimal = _ZERO
    released: Decimal = _ZERO

    @property
    def refundable(self) -> Money:
        """What may still be refunded: paid minus refunded."""
        return Money(self.paid - self.refunded, self.currency)

    @property
    def on_hold(self) -> Money:
        """What is still held: held minus released."""
        return Money(self.held - self.released, self.currency)


@attrs.frozen
class Ledger:
    """Balances per currency. Immutable: ``add`` returns a new ledger."""

    balances: dict[str, Balance] = attrs.Factory(dict)

    def balance(self, currency: str) -> Balance:
        return self.balances.get(currency) or Balance(currency)

    def add(self, column: str, money: Money) -> Ledger:
        before = self.balance(money.currency)
        total = getattr(before, column) + money.amount
        # Balance's own __init__, as attrs.evolve would call it, without evolve's look at
        # the class's fields on every call (a payment's fold, on every such command).
        fields = [getattr(before, name) for name in LEDGER_COLUMNS]
        fields[LEDGER_COLUMNS.index(column)] = total
        return Ledger({**self.balances, money.currency: Balance(before.currency, *fields)})

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted(self.balances))

    def require_refundable(self, amount: Money, case_id: UUID) -> None:
        """Raise :class:`RefundExceedsPaid` if ``amount`` is more than may still be refunded."""
        left = self.balance(amount.currency).refundable
        if amount > left:
            way_out = f"issue at most {left}" if left.amount > 0 else "record a payment first"
            raise RefundExceedsPaid(
                f"refund of {amount} exceeds the {left} still refundable on case {case_id} "
                f"(rule: refunds never exceed payments, per currency); {way_out}"
            )


@attrs.frozen
class Hold:
    """Money held on a customer's account under one reference."""

    reference: str
    account: Text
    amount: Money
    released: Money
    reason: Text

    @property
    def outstanding(self) -> Money:
        return self.amount - self.released

    def require_releasable(self, amount: Money, case_id: UUID) -> None:
        """Raise :class:`ReleaseExceedsHold` if ``amount`` exceeds what is still held."""
        if amount > self.outstanding:
            raise ReleaseExceedsHold(
                f"release of {amount} exceeds the {self.outstanding} still held under "
                f"{self.reference!r} on case {case_id} (rule: releases never exceed "
                f"holds, per currency); release at most {self.outstanding}"
            )
