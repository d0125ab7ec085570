"""The view of a balance makes its columns as ``Money(amount, currency)`` would: the
same values, or the same error, for any recorded balance (the view checks the currency
once and converts each amount with Money's own converter)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from casehistory.domain import ledger as recorded
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.values import Money, to_amount
from casehistory.errors import InvalidInput
from casehistory.views.ledger import Balance

_AMOUNTS = st.one_of(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**6, min_value=-(10**6)
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            Decimal("-0"),
            Decimal("0E+3"),
            Decimal("1E+2"),
            Decimal("1.000000"),
            Decimal("1E-5"),
            Decimal("1E+15"),
            Decimal("0E-9"),
            Decimal("-0.00"),
        ]
    ),
)
_CURRENCIES = st.one_of(st.sampled_from(["EUR", "USD", "JPY"]), st.text(max_size=4))


def test_money_is_made_as_the_view_assumes() -> None:
    # The view sets these two slots itself after the converter: a change here is a
    # change to make there.
    fields = attrs.fields(Money)
    assert [f.name for f in fields] == ["amount", "currency"]
    assert fields.amount.converter is to_amount
    assert fields.amount.validator is None
    assert fields.currency.converter is None
    assert Money.__slots__ == ("amount", "currency", "__weakref__")
    assert not hasattr(Money, "__attrs_post_init__")


def _as_before(balance: recorded.Balance) -> Any:
    try:
        return Balance(
            balance.currency,
            *(Money(getattr(balance, c), balance.currency) for c in LEDGER_COLUMNS),
        )
    except InvalidInput as error:
        return str(error)


@given(_CURRENCIES, st.lists(_AMOUNTS, min_size=6, max_size=6))
def test_a_balance_view_is_what_moneys_made_one_by_one_give(
    currency: str, amounts: list[Decimal]
) -> None:
    balance = recorded.Balance(currency, *amounts)
    before = _as_before(balance)
    try:
        now: Any = Balance.of(balance)
    except InvalidInput as error:
        now = str(error)
    assert now == before
    if isinstance(now, Balance):
        for column in LEDGER_COLUMNS:
            mine, theirs = getattr(now, column), getattr(before, column)
            assert type(mine) is Money
            assert repr(mine) == repr(theirs)  # the same digits and exponent
            assert hash(mine) == hash(theirs)
            assert str(mine.amount) == str(theirs.amount)
        assert now.refundable == before.refundable
        assert now.on_hold == before.on_hold


def test_the_view_of_the_same_balance_is_given_again_and_only_of_frozen_values() -> None:
    from casehistory.views import ledger as views

    balance = recorded.Balance("EUR", Decimal("30.00"), Decimal("5.0000000"))
    first = Balance.of(balance)
    assert Balance.of(balance) is first
    assert first == _as_before(balance)
    assert repr(first.refunded.amount) == "Decimal('5.0000')"
    equal = recorded.Balance("EUR", Decimal("30.00"), Decimal("5.0000000"))
    assert Balance.of(equal) == first  # another balance: made again, the same

    class Amount(Decimal):
        pass

    odd = recorded.Balance("EUR", Amount("1.00"))
    assert Balance.of(odd) is not Balance.of(odd)  # not a plain decimal: never kept
    assert type(Balance.of(odd).paid.amount) is Decimal

    class Mine(Balance):
        pass

    assert type(Mine.of(balance)) is Mine
    for n in range(views._KEPT + 5):
        Balance.of(recorded.Balance("USD", Decimal(n)))
    assert len(views._VIEWS) <= views._KEPT
