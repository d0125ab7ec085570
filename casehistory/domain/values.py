"""Value objects and vocabularies of the case domain.

Every value is a frozen attrs class or a plain :class:`enum.Enum` (never a ``str``
enum: those come back from the JSON store as bare strings). Money is a ``Decimal``
with an ISO 4217 currency code; floats are refused.

The checks they apply are kept in :mod:`~casehistory.domain._value_checks` and
:mod:`~casehistory.domain._money_fields`, and imported from here as before.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import attrs

from casehistory.domain._money_fields import _check_currency, below_largest, to_amount
from casehistory.domain._value_checks import (
    MAX_EVENT_BYTES,
    MAX_TEXT_BYTES,
    _check_date,
    _check_optional_text,
    _check_personal_text,
    _check_text,
    as_stored,
    instance_validator,
    require_aware,
    require_instance,
    require_text,
)
from casehistory.domain.sealed import Text
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
