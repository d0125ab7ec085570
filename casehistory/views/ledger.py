"""The ledger of a case as people and programs read it: every total as :class:`Money`.

The case's state keeps its running totals as decimals per currency
(:mod:`casehistory.domain.ledger`), in the form its state commitments hash, which never
changes. These are the public view of them: each column a :class:`Money` in the
balance's currency, like ``refundable`` and ``on_hold``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from casehistory.domain import ledger as recorded
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.values import Money

__all__ = ["Balance", "LEDGER_COLUMNS", "Ledger"]

_ZERO = Decimal("0.00")


@attrs.frozen
class Balance:
    """The running totals of one currency on one case, each a :class:`Money` in it."""

    currency: str
    paid: Money
    refunded: Money
    credited: Money
    goodwill: Money
    held: Money
    released: Money

    @classmethod
    def of(cls, balance: recorded.Balance) -> Balance:
        """The view of a balance of the case's state."""
        currency = balance.currency
        return cls(currency, *(Money(getattr(balance, c), currency) for c in LEDGER_COLUMNS))

    @classmethod
    def zero(cls, currency: str) -> Balance:
        """Nothing recorded in ``currency``."""
        return cls.of(recorded.Balance(currency))

    @property
    def refundable(self) -> Money:
        """What may still be refunded: paid minus refunded."""
        return self.paid - self.refunded

    @property
    def on_hold(self) -> Money:
        """What is still held: held minus released."""
        return self.held - self.released


@attrs.frozen
class Ledger:
    """A case's balances per currency, each total a :class:`Money`."""

    balances: dict[str, Balance] = attrs.Factory(dict)

    @classmethod
    def of(cls, ledger: recorded.Ledger | Mapping[str, recorded.Balance]) -> Ledger:
        """The view of the ledger of a case's state (or of its balances by currency)."""
        balances = ledger.balances if isinstance(ledger, recorded.Ledger) else ledger
        return cls({currency: Balance.of(b) for currency, b in balances.items()})

    def balance(self, currency: str) -> Balance:
        """The balance in ``currency``: all zero if the case recorded none in it."""
        return self.balances.get(currency) or Balance.zero(currency)

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies the case recorded money in, sorted."""
        return tuple(sorted(self.balances))
