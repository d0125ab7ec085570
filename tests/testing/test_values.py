"""The value strategies draw what their docstrings say, refuse bad arguments with
InvalidArgument, and are registered for st.from_type(); every docstring example runs."""

from __future__ import annotations

import dataclasses
import doctest
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import casehistory.testing
from casehistory import Actor, Customer, Money, Product, Role
from casehistory.testing import CaseHistory, Command, strategies
from casehistory.testing.strategies import (
    CLOCK_START,
    CURRENCIES,
    actors,
    currencies,
    instants,
    money,
    products,
)


class TestMoney:
    @given(money())
    def test_positive_with_two_places_in_a_known_currency(self, value: Money) -> None:
        assert Decimal("0.01") <= value.amount <= Decimal("10000.00")
        assert value.amount.as_tuple().exponent == -2
        assert value.currency in CURRENCIES

    @given(money("JPY", min_value=-5, max_value="5.5", places=4))
    def test_bounds_places_and_currency_as_asked(self, value: Money) -> None:
        assert value.currency == "JPY"
        assert Decimal(-5) <= value.amount <= Decimal("5.5")
        assert value.amount.as_tuple().exponent == -4

    @given(money("EUR", min_value="0.01", max_value="0.01"))
    def test_a_single_amount(self, value: Money) -> None:
        assert value == Money("0.01", "EUR")

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"currency": "eur"},
            {"currency": 978},
            {"currency": "E1R"},
            {"places": 5},
            {"places": True},
            {"min_value": 1.5},
            {"min_value": "lots"},
            {"max_value": Decimal("NaN")},
            {"max_value": 10**15},
            {"max_value": "1E+1000000000"},  # decimal.Overflow escaped: abs() overflowed
            {"min_value": "-1E+1000000000"},
            {"min_value": 3, "max_value": 2},
            {"min_value": "0.001", "max_value": "0.009"},
        ],
    )
    def test_bad_arguments_are_refused(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(InvalidArgument):
            money(**kwargs)


class TestActorsAndCurrencies:
    @given(actors(roles=[Role.SUPERVISOR, Role.MANAGER]))
    def test_only_the_roles_asked_for(self, actor: Actor) -> None:
        assert actor.role in (Role.SUPERVISOR, Role.MANAGER)

    def test_the_cast_has_every_role(self) -> None:
        assert {actor.role for actor in casehistory.testing.CAST} == set(Role)

    @pytest.mark.parametrize("roles", [[], Role.AGENT, "AGENT", ["AGENT"], 3])
    def test_bad_roles_are_refused(self, roles: Any) -> None:
        with pytest.raises(InvalidArgument):
            actors(roles=roles)

    @given(currencies())
    def test_currencies_are_the_few_known_ones(self, code: str) -> None:
        assert code in CURRENCIES


class TestInstants:
    @given(instants())
    def test_aware_whole_seconds_before_the_clock(self, when: datetime) -> None:
        assert when.utcoffset() is not None
        assert datetime(2026, 1, 1, tzinfo=UTC) <= when < CLOCK_START
        assert when.microsecond == 0

    @given(
        instants(
            min_value=datetime(2026, 3, 1, 12, tzinfo=UTC),
            max_value=datetime(2026, 3, 1, 13, tzinfo=UTC),
            timezones=st.just(timezone(timedelta(hours=-8))),
        )
    )
    def test_range_and_zones_as_asked(self, when: datetime) -> None:
        assert when.utcoffset() == timedelta(hours=-8)
        assert datetime(2026, 3, 1, 12, tzinfo=UTC) <= when <= datetime(2026, 3, 1, 13, tzinfo=UTC)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"min_value": datetime(2026, 1, 1)},
            {"max_value": "2026-01-01"},
            {"min_value": CLOCK_START, "max_value": CLOCK_START - timedelta(days=1)},
            {"timezones": UTC},
        ],
    )
    def test_bad_arguments_are_refused(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(InvalidArgument):
            instants(**kwargs)


@given(products())
def test_products_are_delivered_after_purchase_and_priced(product: Product) -> None:
    assert product.start_of_cover >= product.purchased_on
    assert product.price.amount > 0


@dataclasses.dataclass(frozen=True)
class Refund:
    """A class of a user's own, with fields of casehistory's types."""

    amount: Money
    by: Actor
    customer: Customer


class TestFromType:
    @given(
        st.from_type(Money),
        st.from_type(Actor),
        st.from_type(Customer),
        st.from_type(Product),
    )
    def test_the_value_types_are_registered(
        self, value: Money, actor: Actor, customer: Customer, product: Product
    ) -> None:
        assert value.amount > 0
        assert actor in casehistory.testing.CAST
        assert customer.id.strip()
        assert product.price.amount > 0

    @given(st.from_type(Command), st.from_type(CaseHistory))
    def test_commands_and_histories_are_registered(
        self, command: Command, history: CaseHistory
    ) -> None:
        assert repr(command).startswith("desk.")
        assert "case_1 = desk.open_case(" in str(history)  # a pytest module (issue 14)

    @given(st.builds(Refund))
    def test_builds_fills_fields_of_those_types(self, refund: Refund) -> None:
        assert isinstance(refund.amount, Money)
        assert isinstance(refund.by, Actor)


def _examples() -> list[Any]:
    names = ["__doc__", *strategies.__all__]
    return [
        test
        for name in names
        for test in doctest.DocTestFinder(recurse=False).find(
            getattr(strategies, name) if name != "__doc__" else strategies,
            name,
            globs={},
        )
        if test.examples and (name == "__doc__" or callable(getattr(strategies, name)))
    ]


def test_every_public_strategy_has_a_runnable_example() -> None:
    documented = {test.name for test in _examples()}

    missing = [name for name in strategies.__all__ if callable(getattr(strategies, name))]

    assert sorted(set(missing) - documented) == []
    assert "__doc__" in documented


@pytest.mark.parametrize("example", _examples(), ids=lambda test: test.name)
def test_every_docstring_example_runs(example: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)

    runner.run(example, clear_globs=True)

    assert runner.failures == 0, f"the example of {example.name} failed (see the output above)"


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


class TestImportingTheToolkit:
    def test_the_package_alone_imports_neither_hypothesis_nor_pytest(self) -> None:
        # pytest loads the plugin, and so this package, in every run of every project.
        loaded = _run(
            "import sys, casehistory.testing; "
            "print(sorted(m for m in ('hypothesis', 'pytest') if m in sys.modules))"
        )

        assert loaded == "[]"

    def test_after_hypothesis_it_registers_the_types(self) -> None:
        drawn = _run(
            "from hypothesis import strategies as st; import casehistory.testing; "
            "from casehistory import Money; print(type(st.from_type(Money).example()).__name__)"
        )

        assert drawn == "Money"

    def test_the_setup_hook_registers_the_types_for_hypothesis_entry_points(self) -> None:
        drawn = _run(
            "import casehistory.testing; from hypothesis import strategies as st; "
            "casehistory.testing._hypothesis_setup_hook(); "
            "from casehistory import Actor; print(type(st.from_type(Actor).example()).__name__)"
        )

        assert drawn == "Actor"

    def test_the_strategies_import_hypothesis_but_not_pytest(self) -> None:
        loaded = _run(
            "import sys, casehistory.testing.strategies; "
            "print(sorted(m for m in ('hypothesis', 'pytest') if m in sys.modules))"
        )

        assert loaded == "['hypothesis']"

    def test_its_names_are_there_on_first_use(self) -> None:
        for name in casehistory.testing.__all__:
            assert getattr(casehistory.testing, name) is not None
        with pytest.raises(AttributeError):
            casehistory.testing.CaseDesk  # noqa: B018
