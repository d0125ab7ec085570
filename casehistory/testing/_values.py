"""Strategies for the value types of casehistory: money, actors, customers, products,
texts; and, from :mod:`casehistory.testing._business_times`, business times.

The times live in a module of their own (their arithmetic is shared by no other value);
they are imported here too, so that the modules importing them from here (the public
strategies, the histories' steps, the machine's steering) are unchanged."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from math import ceil, floor

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from casehistory.domain.values import Actor, Customer, Money, Product, Role, below_largest
from casehistory.testing._business_times import (
    CLOCK_START,
    FIRST_INSTANT,
    LAST_INSTANT,
    ZONES,
    epoch_seconds,
    forward_from,
    instants,
    near_month_edge,
    packed_instants,
    unpack_instant,
)
from casehistory.testing._raw import VALUE, register
from casehistory.testing._rules import CAST

__all__ = [
    "CLOCK_START",
    "CURRENCIES",
    "actors",
    "currencies",
    "customers",
    "instants",
    "money",
    "draw_customer",
    "draw_money",
    "draw_product",
    "products",
    "text_of",
    "texts",
    # Business times, from _business_times:
    "FIRST_INSTANT",
    "LAST_INSTANT",
    "ZONES",
    "epoch_seconds",
    "forward_from",
    "near_month_edge",
    "packed_instants",
    "unpack_instant",
]

CURRENCIES = ("EUR", "USD", "JPY")
"""The currencies :func:`currencies` draws: few, so that a history often refunds or
releases in a currency it was paid or held in."""

_CODE = re.compile("[A-Z]{3}")


texts = st.text(min_size=1, max_size=12).filter(str.strip)
"""Non-blank unicode texts (no surrogates: the store could not encode them)."""

_POOLS = (
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "0123456789abcdefghijklmnopqrstuvwxyz",
    " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "\x00\t\n\r\x0b\x0c\x1b\x7f\x85\xa0",
    "\xe9\xfc\xf1\xdf\xf8\xc6\xe7\xc5\u0131\u0130",
    "\u03b1\u03b2\u03a9\u0416\u0449\u0444\u044f",
    "\u4e2d\u6587\u5b57\u65e5\u672c\u8a9e\ud55c\uad6d",
    "\u05e9\u05dc\u05d5\u05dd\u0645\u0631\u062d\u0628\u0627",
    "\u0301\u0308\u200b\u200d\u2028\u2029\ufeff\uffff\ufffd",
    "\U0001f600\U0001f389\U0001f44d\U0001f3fd\U0001f9d1\U00010348\U0010fffd",
)
_MASK = 2**64 - 1


def text_of(n: int) -> str:
    """The text that number ``n`` names, as a history draws :data:`texts` in one choice:
    ``'0'`` for 0 (the simplest), else 1 to 12 characters mixed from ``n``, from every
    script and kind :data:`texts` draws (ASCII most, controls, NUL, combining marks,
    right-to-left, astral), never blank, never a surrogate."""
    if n == 0:
        return "0"
    chars = []
    mixed = n
    for _ in range(1 + n % 12):
        mixed = (mixed * 6364136223846793005 + 1442695040888963407) & _MASK
        k = mixed >> 32
        pool = _POOLS[k % len(_POOLS)]
        chars.append(pool[(k >> 8) % len(pool)])
    text = "".join(chars)
    return text if text.strip() else "0" + text


register(texts, text_of)


def _decimal(value: object, name: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidArgument(f"{name}={value!r} is not a number") from None
    if isinstance(value, float | bool) or not amount.is_finite() or not below_largest(amount):
        raise InvalidArgument(
            f"{name}={value!r} must be a finite Decimal, int or numeric string below 10**15"
        )
    return amount


def currencies() -> st.SearchStrategy[str]:
    """ISO 4217 codes from :data:`CURRENCIES` (``EUR``, ``USD``, ``JPY``).

    Shrinks towards ``EUR``. The set is small on purpose: money drawn for one history
    meets money of the same currency often enough to refund and release it.

    >>> from hypothesis import given
    >>> from casehistory import Money
    >>> from casehistory.testing.strategies import currencies
    >>> @given(currencies())
    ... def test_codes(code):
    ...     assert Money("1.00", code).currency == code
    >>> test_codes()
    """
    return st.sampled_from(CURRENCIES)


def money(
    currency: str | None = None,
    *,
    min_value: Decimal | int | str = Decimal("0.01"),
    max_value: Decimal | int | str = Decimal("10000.00"),
    places: int = 2,
) -> st.SearchStrategy[Money]:
    """:class:`~casehistory.Money` from ``min_value`` to ``max_value`` inclusive, with
    exactly ``places`` decimal places (0 to 4, the most the ledger keeps exact), in
    ``currency`` or, when it is None, in one drawn by :func:`currencies`.

    Amounts are whole numbers of the smallest unit, so ``Money('12.50', 'EUR')`` and
    never a float's rounding. Shrinks towards ``min_value``, in ``EUR``.
    The default range suits commands, which refuse amounts of zero or less; pass
    ``min_value=0`` or a negative bound for the arithmetic of :class:`Money` itself.

    >>> from hypothesis import given
    >>> from casehistory import Money
    >>> from casehistory.testing.strategies import money
    >>> @given(money("EUR", max_value=100))
    ... def test_small_euros(amount):
    ...     assert Money("0.01", "EUR") <= amount <= Money("100", "EUR")
    >>> test_small_euros()
    """
    if currency is not None and not (isinstance(currency, str) and _CODE.fullmatch(currency)):
        raise InvalidArgument(f"currency={currency!r} must be None or a code such as 'EUR'")
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 4:
        raise InvalidArgument(f"places={places!r} must be a whole number from 0 to 4")
    low = _decimal(min_value, "min_value")
    high = _decimal(max_value, "max_value")
    unit = Decimal(10) ** places
    first, last = ceil(low * unit), floor(high * unit)
    if first > last:
        raise InvalidArgument(
            f"no amount with {places} decimal places lies between min_value={min_value!r} "
            f"and max_value={max_value!r}"
        )
    codes = (currency,) if currency is not None else CURRENCIES
    # One integer per amount and currency, as for instants: fast, shrinks to the first.
    packed = st.integers(0, (last - first + 1) * len(codes) - 1)
    return packed.map(functools.partial(_unpack_money, first, places, codes))


def _unpack_money(first: int, places: int, codes: tuple[str, ...], n: int) -> Money:
    units, code = divmod(n, len(codes))
    return Money(Decimal(first + units).scaleb(-places), codes[code])


def actors(roles: Iterable[Role] | None = None) -> st.SearchStrategy[Actor]:
    """:class:`~casehistory.Actor` values from a small fixed cast, in one of ``roles``
    (every role when None): ``a.lee`` and ``b.ng`` (AGENT), ``s.kim`` (SUPERVISOR),
    ``m.ortiz`` and ``m.diaz`` (MANAGER), ``sys.router`` (SYSTEM), ``v.acme`` (VENDOR),
    ``c.dana`` (CUSTOMER), ``au.reyes`` (AUDITOR).

    A fixed cast, rather than random ids, makes the same person recur across a history,
    which rules about people need (no one decides their own escalation). Shrinks
    towards the first of the cast in ``roles``, ``a.lee`` by default.

    >>> from hypothesis import given
    >>> from casehistory import Role
    >>> from casehistory.testing.strategies import actors
    >>> @given(actors(roles=[Role.SUPERVISOR, Role.MANAGER]))
    ... def test_staff(actor):
    ...     assert actor.role in (Role.SUPERVISOR, Role.MANAGER)
    >>> test_staff()
    """
    if roles is None:
        return st.sampled_from(CAST)
    if isinstance(roles, Role | str) or not isinstance(roles, Iterable):
        raise InvalidArgument(f"roles={roles!r} must be None or a collection of Role members")
    wanted = list(roles)
    if not wanted or not all(isinstance(role, Role) for role in wanted):
        raise InvalidArgument(f"roles={roles!r} must name at least one Role member, only Roles")
    return st.sampled_from([actor for actor in CAST if actor.role in wanted])


def customers() -> st.SearchStrategy[Customer]:
    """:class:`~casehistory.Customer` values: an id, a name and maybe an email, each a
    non-blank unicode text of up to 12 characters (any script; never a lone surrogate,
    which no store can encode).

    Shrinks towards ``Customer('0', '0')``.

    >>> from hypothesis import given
    >>> from casehistory.testing.strategies import customers
    >>> @given(customers())
    ... def test_named(customer):
    ...     assert customer.name.strip()
    >>> test_named()
    """
    return st.builds(Customer, id=texts, name=texts, email=st.none() | texts)


@st.composite
def _products(draw: st.DrawFn) -> Product:
    purchased = draw(st.dates(date(2025, 6, 1), date(2026, 10, 1)))
    delivered = draw(st.none() | st.integers(0, 10).map(lambda d: purchased + timedelta(d)))
    return Product(
        sku=draw(texts),
        name=draw(texts),
        purchased_on=purchased,
        price=draw(money()),
        serial=draw(st.none() | texts),
        order_id=draw(st.none() | texts),
        delivered_on=delivered,
    )


def draw_money(draw: st.DrawFn, currency: str, max_value: Decimal) -> Money:
    """0.01 to ``max_value`` (at least 0.01) in ``currency``, in one choice: as
    ``money(currency, max_value=max_value)`` draws it, without building a strategy for
    each bound (a history draws one per refund or release)."""
    last = max(floor(max_value * 100), 1)
    return Money(Decimal(1 + draw(VALUE) % last).scaleb(-2), currency)


OPTIONAL_TEXTS = st.none() | texts
_PURCHASED = st.dates(date(2025, 6, 1), date(2026, 10, 1))
_DELIVERY = st.none() | st.integers(0, 10)
_PRICES = money()


def draw_customer(draw: st.DrawFn) -> Customer:
    """What :func:`customers` draws, one choice a field."""
    return Customer(id=draw(texts), name=draw(texts), email=draw(OPTIONAL_TEXTS))


def draw_product(draw: st.DrawFn) -> Product:
    """What :func:`products` draws, one choice a field."""
    purchased = draw(_PURCHASED)
    delivery = draw(_DELIVERY)
    return Product(
        sku=draw(texts),
        name=draw(texts),
        purchased_on=purchased,
        price=draw(_PRICES),
        serial=draw(OPTIONAL_TEXTS),
        order_id=draw(OPTIONAL_TEXTS),
        delivered_on=None if delivery is None else purchased + timedelta(delivery),
    )


def products() -> st.SearchStrategy[Product]:
    """:class:`~casehistory.Product` values bought from 2025-06-01 to 2026-10-01 and
    delivered 0 to 10 days later (or with no delivery date), priced by :func:`money`.

    With business times drawn by :func:`instants` (2026), some commands fall inside the
    30-day return window and the 365-day warranty and some outside, so both sides of
    each policy are reached. Shrinks towards a product bought on 2025-06-01, no delivery
    date, no serial or order id.

    >>> from hypothesis import given
    >>> from casehistory.testing.strategies import products
    >>> @given(products())
    ... def test_delivered_after_purchase(product):
    ...     assert product.start_of_cover >= product.purchased_on
    >>> test_delivered_after_purchase()
    """
    return _products()
