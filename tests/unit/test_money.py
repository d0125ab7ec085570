"""Money: a Decimal amount and an ISO 4217 code; never float, never across currencies."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from casehistory import CaseHistoryError, CurrencyMismatch, InvalidInput, Money, Product


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


class TestMakeMoney:
    @pytest.mark.parametrize("amount", ["19.99", Decimal("19.99"), 19])
    def test_amounts_are_kept_as_decimals(self, amount: object) -> None:
        given = amount

        money = Money(given, "EUR")

        assert isinstance(money.amount, Decimal)
        assert money.amount == Decimal(str(given))

    @pytest.mark.parametrize("amount", [19.99, 0.1, True])
    def test_float_and_bool_amounts_are_refused(self, amount: object) -> None:
        given = amount

        with pytest.raises(InvalidInput, match=r"money amounts must be Decimal, int or a numeric"):
            Money(given, "EUR")

    @pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
    def test_amounts_must_be_finite(self, amount: str) -> None:
        given = amount

        with pytest.raises(InvalidInput, match=r"money amounts must be finite"):
            Money(given, "EUR")

    @pytest.mark.parametrize("amount", ["ten", "", None, "1,000.00"])
    def test_amounts_that_are_not_numbers_are_refused(self, amount: object) -> None:
        given = amount

        with pytest.raises(InvalidInput, match=r"is not a valid money amount"):
            Money(given, "EUR")

    @pytest.mark.parametrize("currency", ["EUR", "USD", "JPY"])
    def test_three_capital_letters_are_a_currency_code(self, currency: str) -> None:
        code = currency

        money = Money("1.00", code)

        assert money.currency == code

    @pytest.mark.parametrize("currency", ["eur", "EU", "EURO", "€", "", " EUR", 978, None])
    def test_anything_else_is_refused_as_a_currency(self, currency: object) -> None:
        code = currency

        with pytest.raises(InvalidInput, match=r"currency must be an ISO 4217 code"):
            Money("1.00", code)  # type: ignore[arg-type]

    def test_zero_is_zero_in_its_currency(self) -> None:
        currency = "USD"

        zero = Money.zero(currency)

        assert (zero.amount, zero.currency) == (Decimal("0.00"), "USD")

    def test_a_product_price_must_be_money(self) -> None:
        price = 129.0

        with pytest.raises(InvalidInput, match=r"price"):
            Product("SKU-1", "PSU", date(2026, 1, 1), price)  # type: ignore[arg-type]


class TestMoneyArithmetic:
    def test_adds_and_subtracts_in_one_currency(self) -> None:
        total = eur("19.99") + eur("0.01")

        left = total - eur("5.00")

        assert total == eur("20.00")
        assert left == eur("15.00")

    @pytest.mark.parametrize(
        ("operation", "verb"), [(operator.add, "add"), (operator.sub, "subtract")]
    )
    def test_arithmetic_across_currencies_is_refused(
        self, operation: Callable[[Money, Money], Money], verb: str
    ) -> None:
        a, b = eur("1.00"), usd("1.00")

        with pytest.raises(
            CurrencyMismatch,
            match=rf"cannot {verb} 1\.00 EUR and 1\.00 USD: .*\(rule: no arithmetic across "
            r"currencies\); convert one of them first",
        ):
            operation(a, b)

    @pytest.mark.parametrize("compare", [operator.lt, operator.le, operator.gt, operator.ge])
    def test_comparison_across_currencies_is_refused(
        self, compare: Callable[[Money, Money], bool]
    ) -> None:
        a, b = eur("1.00"), usd("2.00")

        with pytest.raises(CurrencyMismatch, match=r"cannot compare .*no arithmetic across"):
            compare(a, b)

    def test_compares_amounts_in_one_currency(self) -> None:
        small, large = eur("9.99"), eur("10.00")

        results = (small < large, small <= large, large > small, large >= small, small > large)

        assert results == (True, True, True, True, False)

    def test_money_in_different_currencies_is_never_equal(self) -> None:
        a, b = eur("1.00"), usd("1.00")

        equal = a == b

        assert equal is False

    def test_arithmetic_with_a_plain_number_is_refused(self) -> None:
        money = eur("1.00")

        with pytest.raises(InvalidInput, match=r"not Money"):
            money + Decimal("1.00")  # type: ignore[operator]

    def test_currency_mismatch_is_a_value_error_of_the_library(self) -> None:
        error = CurrencyMismatch

        ancestors = error.__mro__

        assert CaseHistoryError in ancestors
        assert ValueError in ancestors


class TestFormatMoney:
    @pytest.mark.parametrize(
        ("money", "text"),
        [
            (Money("19.9", "EUR"), "19.90 EUR"),
            (Money("1234567.5", "USD"), "1,234,567.50 USD"),
            (Money(6000, "USD"), "6,000.00 USD"),
            (Money("-5", "EUR"), "-5.00 EUR"),
            (Money("0", "GBP"), "0.00 GBP"),
        ],
    )
    def test_money_prints_with_two_decimals_grouping_and_its_code(
        self, money: Money, text: str
    ) -> None:
        value = money

        printed = str(value)

        assert printed == text
