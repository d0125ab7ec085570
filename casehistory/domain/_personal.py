"""The rules of personal text: sealed as it is recorded, never recorded again once its
customer is forgotten, and forgettable only where it was sealed.

Pure: the sealing itself is the injected :class:`~casehistory.domain.sealed.Sealer`'s.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from casehistory.domain import events as ev
from casehistory.domain.sealed import Sealed, Sealer, is_personal_text
from casehistory.domain.values import Customer
from casehistory.errors import (
    CustomerForgottenAlready,
    InvalidInput,
    PersonalDataErased,
    RecordedInPlaintext,
)

__all__ = [
    "plaintext_fields",
    "require_forgettable",
    "require_not_erased",
    "seal_customer",
    "seal_fields",
]

_PERSONAL = ev.PERSONAL
_CUSTOMER_FIELDS = ev.PERSONAL_CUSTOMER_FIELDS


def seal_customer(customer: Customer, sealer: Sealer | None) -> Customer:
    """The customer with their name and contact details sealed (as given without a
    sealer: a domain used without a desk, or a replay of what was recorded)."""
    if sealer is None:
        return customer
    sealed: dict[str, Sealed] = {}
    for name in _CUSTOMER_FIELDS:
        value = getattr(customer, name)
        if type(value) is str:
            sealed[name] = sealer.seal(value)
        elif isinstance(value, Sealed):
            raise InvalidInput(f"the customer's {name} must be text, not a sealed value")
    if not sealed:
        return customer
    return Customer(
        customer.id, sealed.get("name", customer.name), sealed.get("email", customer.email)
    )


def seal_fields(event: type[ev.CaseEvent], fields: dict[str, Any], sealer: Sealer | None) -> None:
    """Seal, in place, each personal text among an event's ``fields`` (a value already
    sealed, as a replay gives it, stays as it was recorded)."""
    if sealer is None:
        return
    for name in _PERSONAL.get(event, ()):
        value = fields.get(name)
        if type(value) is str:
            fields[name] = sealer.seal(value)
        elif isinstance(value, Customer):
            fields[name] = seal_customer(value, sealer)
        elif isinstance(value, Sealed):
            # Only a replay records a box as it is: a caller gives text, which the
            # sealer seals under the case's customer's key, never a box of its own.
            raise InvalidInput(f"{name} must be text, not a sealed value")


def require_not_erased(
    case_id: UUID, forgotten: bool, event: type[ev.CaseEvent], fields: dict[str, Any]
) -> None:
    """Raise :class:`PersonalDataErased` if the case's customer was forgotten and the
    event would record personal text."""
    if not forgotten:
        return
    given = [name for name in _PERSONAL.get(event, ()) if is_personal_text(fields.get(name))]
    if given:
        raise PersonalDataErased(
            f"{event.__name__} on case {case_id} would record {', '.join(given)}, but the "
            "case's customer was forgotten (rule: personal data: nothing personal is "
            "recorded on a forgotten customer's case); record the command without it, "
            "or on a case of its own"
        )


def plaintext_fields(event: ev.CaseEvent) -> tuple[str, ...]:
    """The personal fields ``event`` holds unsealed (a record from before sealing, or one
    written beneath the desk): ``customer`` for an unsealed name or email."""
    fields = vars(event)
    found = []
    for name in _PERSONAL.get(type(event), ()):
        value = fields.get(name)
        if (type(value) is str and value) or (
            isinstance(value, Customer)
            and any(type(getattr(value, part)) is str for part in _CUSTOMER_FIELDS)
        ):
            found.append(name)
    return tuple(found)


def require_forgettable(
    case_id: UUID, customer: Customer, forgotten: bool, unsealed: tuple[int, ...] = ()
) -> None:
    """Raise unless the case's personal texts can be forgotten by destroying a key:
    :class:`CustomerForgottenAlready` if they were, :class:`RecordedInPlaintext` if the
    case was opened before sealing existed (its customer's name unsealed: a desk that
    seals opened none of them, and a desk that does not seal cannot read a sealed case,
    so the opening tells for every event of the case)."""
    if forgotten:
        raise CustomerForgottenAlready(
            f"case {case_id}'s customer {customer.id} was already forgotten (rule: personal "
            "data: one erasure per case); nothing to do"
        )
    if type(customer.name) is str:
        raise RecordedInPlaintext(
            f"case {case_id} of customer {customer.id} holds personal text recorded before "
            "sealing existed (0.3.x or earlier), which no key can erase (rule: personal "
            "data: forgetting destroys a key); see docs/data-protection.md, 'Cases "
            "recorded in plaintext', for what an operator can do"
        )
    if unsealed:
        raise RecordedInPlaintext(
            f"case {case_id} of customer {customer.id} holds personal text recorded unsealed "
            f"at version {', '.join(map(str, unsealed[:5]))} (written beneath the desk: "
            "`casehistory verify --rules` reports it), which no key can erase (rule: "
            "personal data: forgetting destroys a key); see docs/data-protection.md, "
            "'Cases recorded in plaintext'"
        )
