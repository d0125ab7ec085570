"""The view shows a customer as ``attrs.evolve`` would make them, with their texts
shown: the same fields, validated alike."""

from __future__ import annotations

import attrs
import pytest

from casehistory.domain.sealed import ERASED, Sealed
from casehistory.domain.values import Customer
from casehistory.errors import InvalidInput
from casehistory.views.case import shown_customer


def test_a_customer_has_the_fields_the_view_makes() -> None:
    fields = attrs.fields(Customer)
    assert [(f.name, f.alias, f.init) for f in fields] == [
        ("id", "id", True),
        ("name", "name", True),
        ("email", "email", True),
    ]


@pytest.mark.parametrize("email", [None, "dana@example.com", Sealed("k.AAAA")])
def test_a_shown_customer_is_what_evolve_gives(email: object) -> None:
    customer = Customer("c-1", Sealed("k.BBBB"), email)  # type: ignore[arg-type]

    def text(value: object) -> str:
        return ERASED if isinstance(value, Sealed) else str(value)

    shown = shown_customer(customer, text)
    wanted = attrs.evolve(
        customer, name=text(customer.name), email=None if email is None else text(email)
    )
    assert type(shown) is Customer
    assert shown == wanted


def test_a_shown_customer_is_validated_as_evolve_validates() -> None:
    customer = Customer("c-1", Sealed("k.BBBB"))
    with pytest.raises(InvalidInput):
        attrs.evolve(customer, name="")
    with pytest.raises(InvalidInput):
        shown_customer(customer, lambda value: "")
