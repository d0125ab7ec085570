"""The fields of :class:`~casehistory.domain.values.Money`, read and checked as it takes
them: the amount (:func:`to_amount`: a Decimal with at most 4 decimal places, below
10**15, never a float) and the currency (three capital letters, ISO 4217).

Separate from :mod:`casehistory.domain.values`, where ``Money`` itself stays (stored
events and snapshots hold it): these are functions and constants only, never stored,
imported again from there where public.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from casehistory.errors import InvalidInput

__all__ = ["below_largest", "to_amount"]

_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMALS = 4  # four decimal places: cents, mils, and the 3-digit currencies
_LARGEST_DIGITS = 15  # amounts stay below 10**15


def to_amount(value: Any) -> Decimal:
    """A finite Decimal from a Decimal, an int or a numeric string; floats are refused."""
    if isinstance(value, bool | float):
        raise InvalidInput(
            f"money amounts must be Decimal, int or a numeric string, never {type(value).__name__} "
            f"({value!r}); write Decimal({str(value)!r})"
        )
    try:
        # A subclass of Decimal becomes a Decimal: no store knows how to write another.
        amount = value if type(value) is Decimal else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a valid money amount") from None
    if not amount.is_finite():
        raise InvalidInput(f"money amounts must be finite, got {value!r:.200}")
    exact = _exact_amount(amount)
    if exact is None:
        raise InvalidInput(
            f"money amounts have at most 4 decimal places and stay below 10**15, got "
            f"{value!r:.200} (so that every ledger total is exact in Decimal's 28 digits)"
        )
    return exact


def below_largest(amount: Decimal) -> bool:
    """Whether a finite ``amount`` is below 10**15 in magnitude, from its digits and
    exponent (``abs()`` on ``1E+1000000000`` overflows Decimal's context)."""
    return not any(amount.as_tuple().digits) or amount.adjusted() < _LARGEST_DIGITS


def _exact_amount(amount: Decimal) -> Decimal | None:
    """``amount`` written with at most 4 decimal places (trailing zeros past them
    dropped: ``19.990000`` is ``19.9900``), or None when it has more places or is not
    below 10**15.

    Judged from its digits and exponent alone, with no arithmetic: on ``1E+1000000000``
    Decimal's context overflows, and ``1E-1000000000`` rounds to a zero that would pass
    for a whole amount. At most 15 + 4 digits, every total of a ledger is exact."""
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by the caller
    if not any(digits):  # a zero, however it is written
        return Decimal((0, (0,), max(min(exponent, 0), -_DECIMALS)))
    if not below_largest(amount):
        return None
    extra = -_DECIMALS - exponent  # digits past the fourth decimal place: must be zeros
    if extra <= 0:
        return amount
    if any(digits[-extra:]):
        return None
    return Decimal((sign, digits[:-extra], -_DECIMALS))


def _check_currency(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise InvalidInput(
            f"currency must be an ISO 4217 code of three capital letters, got {value!r}"
        )
