"""Value objects and vocabularies of the case domain.

Every value is a frozen attrs class or a plain :class:`enum.Enum` (never a ``str``
enum: those come back from the JSON store as bare strings). Money is a ``Decimal``
with an ISO 4217 currency code; floats are refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

import attrs

from casehistory.domain.sealed import Sealed, Text
from casehistory.errors import CurrencyMismatch, InvalidInput

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_TEXT_BYTES",
    "Actor",
    "Channel",
    "ComplaintCategory",
    "Customer",
    "Demeanour",
    "Direction",
    "Disposition",
    "EntitlementKind",
    "EscalationTarget",
    "Fault",
    "GoodwillKind",
    "InspectionOutcome",
    "LinkKind",
    "ErasureGround",
    "Money",
    "Payer",
    "Product",
    "RepairCoverage",
    "Role",
    "ServiceLevel",
    "as_stored",
    "below_largest",
    "instance_validator",
    "require_aware",
    "require_instance",
    "require_text",
    "to_amount",
]


class Role(Enum):
    """Who an actor is, which decides what they may record."""

    CUSTOMER = "CUSTOMER"
    AGENT = "AGENT"
    SUPERVISOR = "SUPERVISOR"
    MANAGER = "MANAGER"
    SYSTEM = "SYSTEM"
    VENDOR = "VENDOR"
    AUDITOR = "AUDITOR"
    PRIVACY_OFFICER = "PRIVACY_OFFICER"
    """Decides erasures (``forget_customer``), and records nothing else."""


class Channel(Enum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    WALK_IN = "WALK_IN"
    CHAT = "CHAT"
    LETTER = "LETTER"


class Direction(Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class Demeanour(Enum):
    CALM = "CALM"
    POLITE = "POLITE"
    FRUSTRATED = "FRUSTRATED"
    ANGRY = "ANGRY"
    ABUSIVE = "ABUSIVE"


class Fault(Enum):
    """Whose fault the problem was, as far as the case has established."""

    OURS = "OURS"
    CUSTOMER = "CUSTOMER"
    VENDOR = "VENDOR"
    NONE = "NONE"
    UNDETERMINED = "UNDETERMINED"


class ComplaintCategory(Enum):
    BAIT_AND_SWITCH = "BAIT_AND_SWITCH"
    LEGAL_THREAT = "LEGAL_THREAT"
    LEMON_LAW = "LEMON_LAW"
    BILLING = "BILLING"
    SERVICE = "SERVICE"
    PRODUCT_QUALITY = "PRODUCT_QUALITY"
    OTHER = "OTHER"


class EntitlementKind(Enum):
    """The policies whose decisions are recorded on a case."""

    RETURN_WINDOW = "RETURN_WINDOW"
    WARRANTY = "WARRANTY"
    RETURN_SHIPPING = "RETURN_SHIPPING"
    OVERNIGHT_CUTOFF = "OVERNIGHT_CUTOFF"
    GOODWILL_LIMIT = "GOODWILL_LIMIT"
    CASE_GOODWILL_LIMIT = "CASE_GOODWILL_LIMIT"
    CREDIT_LIMIT = "CREDIT_LIMIT"
    BUSINESS_TIME = "BUSINESS_TIME"


class EscalationTarget(Enum):
    SUPERVISOR = "SUPERVISOR"
    MANAGER = "MANAGER"
    VENDOR = "VENDOR"
    LEGAL = "LEGAL"


class GoodwillKind(Enum):
    FREE_SHIPPING_UPGRADE = "FREE_SHIPPING_UPGRADE"
    FREE_SOFTWARE = "FREE_SOFTWARE"
    CREDIT = "CREDIT"
    FEE_WAIVED = "FEE_WAIVED"
    FREE_REPAIR = "FREE_REPAIR"


class Payer(Enum):
    CUSTOMER = "CUSTOMER"
    COMPANY = "COMPANY"


class Disposition(Enum):
    REPAIR = "REPAIR"
    REPLACE = "REPLACE"
    REFUND = "REFUND"
    INSPECT = "INSPECT"


class InspectionOutcome(Enum):
    AS_DESCRIBED = "AS_DESCRIBED"
    DAMAGED = "DAMAGED"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    MISSING_ITEMS = "MISSING_ITEMS"


class RepairCoverage(Enum):
    WARRANTY = "WARRANTY"
    GOODWILL = "GOODWILL"
    VENDOR = "VENDOR"
    CUSTOMER = "CUSTOMER"


class ServiceLevel(Enum):
    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"
    OVERNIGHT = "OVERNIGHT"


class LinkKind(Enum):
    RELATED = "RELATED"
    DUPLICATE_OF = "DUPLICATE_OF"


class ErasureGround(Enum):
    """Why a customer is forgotten: the grounds of GDPR article 17(1), by letter."""

    NO_LONGER_NECESSARY = "NO_LONGER_NECESSARY"
    """(a) the data are no longer needed for the purpose they were collected for."""
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    """(b) the customer withdrew the consent the processing rested on."""
    OBJECTION = "OBJECTION"
    """(c) the customer objected, and no overriding legitimate ground remains."""
    UNLAWFUL_PROCESSING = "UNLAWFUL_PROCESSING"
    """(d) the data were processed unlawfully."""
    LEGAL_OBLIGATION = "LEGAL_OBLIGATION"
    """(e) a law the company is subject to requires the erasure."""
    CHILD_CONSENT = "CHILD_CONSENT"
    """(f) the data were collected from a child for an information society service."""


_T = TypeVar("_T")


def require_instance(value: object, kind: type[_T], name: str) -> _T:
    """Return ``value`` if it is a ``kind``, else raise :class:`InvalidInput` (naming the
    members when ``kind`` is an enum)."""
    if not isinstance(value, kind):
        choices = f" ({', '.join(m.name for m in kind)})" if issubclass(kind, Enum) else ""
        article = "an" if kind.__name__[0] in "AEIO" else "a"  # a UUID, an Actor
        raise InvalidInput(f"{name} must be {article} {kind.__name__}{choices}, got {value!r}")
    return value


MAX_TEXT_BYTES = 64 * 1024
"""The most a free text (a note, a subject, a reason, a name, a reference) may hold:
64 KiB of UTF-8. Case text is written by people; a bound keeps one careless or hostile
call from making an event, a snapshot and every load of its case arbitrarily large."""


MAX_EVENT_BYTES = 1024 * 1024
"""The most one event may hold: 1 MiB of the canonical JSON its digest covers (its row in
the store is a little larger, with type tags). Free texts are bounded first, so this
binds only a command with many long texts; it keeps every row a store is sent small
enough to write well inside the store's statement timeout (docs/operations.md)."""


def require_text(value: object, name: str) -> str:
    """Return ``value`` if it is a non-blank string the store can encode (UTF-8), of at
    most :data:`MAX_TEXT_BYTES` bytes. A sealed text (a replay of what was recorded) was
    checked before it was sealed, and is returned as it is."""
    if isinstance(value, Sealed):
        return value  # type: ignore[return-value]  # a personal text as recorded
    if not isinstance(value, str) or not value.strip():
        # Never the value itself unless it is blank: a text may be personal, and an error
        # message ends up in logs and terminals that no erasure reaches.
        got = repr(value[:200]) if isinstance(value, str) else type(value).__name__
        raise InvalidInput(f"{name} must be a non-empty string, got {got}")
    if len(value) > MAX_TEXT_BYTES:  # each character is at least one byte: too long
        _too_long(name, len(value), "characters")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise InvalidInput(
            f"{name} is not valid Unicode text: it holds a lone surrogate at character "
            f"{error.start} of {len(value):,} (the text itself is not repeated here)"
        ) from None
    if size > MAX_TEXT_BYTES:
        _too_long(name, size, "bytes of UTF-8")
    return value


def _too_long(name: str, size: int, unit: str) -> None:
    raise InvalidInput(
        f"{name} is {size:,} {unit} long (rule: a text holds at most {MAX_TEXT_BYTES:,} "
        "bytes of UTF-8); shorten it, or keep the document elsewhere and record its reference"
    )


def require_aware(value: object, name: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise :class:`InvalidInput`."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must be a timezone-aware datetime, got {value!r}; "
            "give it a tzinfo, e.g. datetime(2026, 3, 2, 9, 0, tzinfo=UTC)"
        )
    return value


def as_stored(at: datetime) -> datetime:
    """``at`` (aware) as the store gives it back: the same instant and wall time, at its
    fixed UTC offset. A time given in a named zone (a ``ZoneInfo``) inside the hour that
    repeats when clocks go back is never equal to one in another zone (PEP 495), so a
    case kept in memory with the time as given would differ from the same case read from
    the store; every recorded time is kept in this form instead."""
    tzinfo = at.tzinfo
    if type(tzinfo) is timezone or tzinfo is None:
        return at
    offset = at.utcoffset()
    return at if offset is None else at.replace(tzinfo=timezone(offset), fold=0)


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


@attrs.frozen(order=False)
class Money:
    """An amount of one currency. Arithmetic across currencies raises :class:`CurrencyMismatch`.

    >>> Money("19.99", "EUR") + Money("0.01", "EUR")
    Money(amount=Decimal('20.00'), currency='EUR')
    """

    amount: Decimal = attrs.field(converter=to_amount)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0.00"), currency)

    def _same(self, other: Money, operation: str) -> None:
        if not isinstance(other, Money):
            raise InvalidInput(f"cannot {operation} {self} and {other!r}: not Money")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {operation} {self} and {other}: money in different currencies "
                "(rule: no arithmetic across currencies); convert one of them first"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other, "add")
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other, "subtract")
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}"

    def require_positive(self, name: str) -> Money:
        """Return self if the amount is above zero, else raise :class:`InvalidInput`."""
        if self.amount <= 0:
            raise InvalidInput(f"{name} must be more than zero, got {self}")
        return self


def _check_text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    require_text(value, attribute.name)


def _check_personal_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Sealed):  # sealed: checked as text before it was sealed
        require_text(value, attribute.name)


def _check_optional_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Sealed):
        require_text(value, attribute.name)


def instance_validator(kind: type[Any]) -> Any:
    """An attrs validator that raises :class:`InvalidInput` unless the value is a ``kind``."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        require_instance(value, kind, attribute.name)

    return check


def _check_date(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{attribute.name} must be a date, got {value!r}")


@attrs.frozen
class Actor:
    """Who recorded an event: an id (a person or system) and the role they acted in."""

    id: str = attrs.field(validator=_check_text)
    role: Role = attrs.field(validator=instance_validator(Role))

    def __str__(self) -> str:
        return f"{self.role.name} {self.id}"


@attrs.frozen
class Customer:
    id: str = attrs.field(validator=_check_text)
    name: Text = attrs.field(validator=_check_personal_text)
    email: Text | None = attrs.field(default=None, validator=_check_optional_text)


@attrs.frozen
class Product:
    """What the case is about: the item, its order, and when it was bought and delivered.

    Policies count days from ``delivered_on`` where it is known, else from ``purchased_on``.
    """

    sku: str = attrs.field(validator=_check_text)
    name: str = attrs.field(validator=_check_text)
    purchased_on: date = attrs.field(validator=_check_date)
    price: Money = attrs.field(validator=instance_validator(Money))
    serial: str | None = attrs.field(default=None, validator=_check_optional_text)
    order_id: str | None = attrs.field(default=None, validator=_check_optional_text)
    delivered_on: date | None = attrs.field(
        default=None, validator=attrs.validators.optional(_check_date)
    )

    @property
    def start_of_cover(self) -> date:
        """The date policies count from: delivery where known, else purchase."""
        return self.delivered_on or self.purchased_on
