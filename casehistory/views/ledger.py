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
from casehistory.domain.values import Money, to_amount

__all__ = ["Balance", "LEDGER_COLUMNS", "Ledger"]

_ZERO = Decimal("0.00")
_NEW = object.__new__
_SET = object.__setattr__


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
        kept = _VIEWS.get(id(balance))
        if kept is not None and kept[0] is balance and cls is Balance:
            return kept[1]
        view = cls._made(balance)
        if cls is Balance and type(balance) is recorded.Balance and _immutable(balance):
            # A frozen balance of a string and decimals: its view cannot change, and is
            # given again for the same balance (each view of a case, and the next state's,
            # shares the balances no event changed). Held here, so its id is not reused.
            if len(_VIEWS) >= _KEPT:
                _VIEWS.clear()
            _VIEWS[id(balance)] = (balance, view)
        return view

    @classmethod
    def _made(cls, balance: recorded.Balance) -> Balance:
        currency = balance.currency
        # The first column is made as any Money is, which checks the currency; the
        # others, of the same currency, only convert their amounts as Money's converter
        # does (tests/unit/test_read_path_ledger.py): every view makes six a currency.
        first, *others = LEDGER_COLUMNS
        columns = [Money(getattr(balance, first), currency)]
        for column in others:
            money = _NEW(Money)
            _SET(money, "amount", to_amount(getattr(balance, column)))
            _SET(money, "currency", currency)
            columns.append(money)
        return cls(currency, *columns)

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


_VIEWS: dict[int, tuple[recorded.Balance, Balance]] = {}
"""The view of each balance :meth:`Balance.of` made, by the balance's id (held with it)."""
_KEPT = 1024  # balances, a few a case: a bound for memory only


def _immutable(balance: recorded.Balance) -> bool:
    return type(balance.currency) is str and all(
        type(getattr(balance, column)) is Decimal for column in LEDGER_COLUMNS
    )


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
