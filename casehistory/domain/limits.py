"""The policies of rules version 2 (issue 12): bounds the domain guide left open.

- :class:`CaseGoodwillLimitPolicy`: what an agent may give one case in goodwill, in
  all (the guide's 50.00 is per grant: four grants of 49.99 were 199.96).
- :class:`CreditLimitPolicy`: the largest credit each role may issue on its own.
- :class:`BusinessTimePolicy`: how long before a case's opening a payment or a
  contact may have happened (every other fact happens after the opening).

Like the others, each is versioned and decides with a pure ``decide(...)`` whose
:class:`~casehistory.domain.policies.PolicyDecision` is recorded in the event it
gates. :func:`policy_digest` binds any policy's id and version to its parameters.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import attrs

from casehistory.domain._policy_checks import MOST_DAYS, check_policy_id, check_version, whole
from casehistory.domain.chain import canonical_json
from casehistory.domain.values import EntitlementKind, Money, Role, to_amount
from casehistory.errors import InvalidInput

if TYPE_CHECKING:
    from casehistory.domain.policies import PolicyDecision

__all__ = [
    "BEFORE_OPENING",
    "BusinessTimePolicy",
    "CaseGoodwillLimitPolicy",
    "CreditLimitPolicy",
    "policy_digest",
    "policy_parameters",
]


def _limit(value: object) -> Decimal:
    amount = to_amount(value)
    if amount < 0:
        raise InvalidInput(f"a limit is zero or more, got {amount}")
    return amount


def _decision(
    policy: Any, kind: EntitlementKind, compared: dict[str, str], entitled: bool, word: str
) -> PolicyDecision:
    from casehistory.domain.policies import PolicyDecision  # policies imports this module

    return PolicyDecision(
        policy_id=policy.policy_id,
        version=policy.version,
        kind=kind,
        compared=compared,
        outcome=f"WITHIN_{word}" if entitled else f"ABOVE_{word}",
        entitled=entitled,
    )


@attrs.frozen
class CaseGoodwillLimitPolicy:
    """An AGENT may bring a case's goodwill (grants, and repairs covered by goodwill) up to
    ``limit`` in a currency, in all; above it, a SUPERVISOR or MANAGER grants."""

    limit: Decimal = attrs.field(default=Decimal("100.00"), converter=_limit)
    policy_id: str = attrs.field(default="case-goodwill-limit", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def decide(self, before: Money, value: Money) -> PolicyDecision:
        total = before + value
        return _decision(
            self,
            EntitlementKind.CASE_GOODWILL_LIMIT,
            {
                "before": str(before),
                "value": str(value),
                "total": str(total),
                "limit": f"{self.limit:,.2f} {value.currency}",
            },
            total.amount <= self.limit,
            "LIMIT",
        )


@attrs.frozen
class CreditLimitPolicy:
    """The largest credit each role issues on its own, in the credit's currency; above
    it, only with an escalation to MANAGER approved on the case."""

    agent: Decimal = attrs.field(default=Decimal("50.00"), converter=_limit)
    supervisor: Decimal = attrs.field(default=Decimal("1000.00"), converter=_limit)
    manager: Decimal = attrs.field(default=Decimal("10000.00"), converter=_limit)
    policy_id: str = attrs.field(default="credit-limit", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def limit_of(self, role: Role) -> Decimal:
        """The limit of ``role`` (zero for a role that issues no credit)."""
        limits = {Role.AGENT: self.agent, Role.SUPERVISOR: self.supervisor}
        return limits.get(role, self.manager if role is Role.MANAGER else Decimal(0))

    def decide(self, value: Money, role: Role) -> PolicyDecision:
        limit = self.limit_of(role)
        return _decision(
            self,
            EntitlementKind.CREDIT_LIMIT,
            {"value": str(value), "role": role.name, "limit": f"{limit:,.2f} {value.currency}"},
            value.amount <= limit,
            "LIMIT",
        )


BEFORE_OPENING = frozenset({"PaymentRecorded", "ContactLogged"})
"""The facts that may have happened before their case opened: the payment of the
purchase the case is about, and the contact that led to the case. Every other fact of a
case happens at or after its opening."""


@attrs.frozen
class BusinessTimePolicy:
    """How long before its case's opening a contact (``contact_days``) or a payment
    (``payment_days``: a subscription's earlier terms, a purchase long before the
    fault) may have happened. Every other fact happens at or after the opening."""

    contact_days: int = attrs.field(default=30, validator=whole("days", MOST_DAYS))
    payment_days: int = attrs.field(default=730, validator=whole("days", MOST_DAYS))
    policy_id: str = attrs.field(default="business-time", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def earliest(self, fact: str, opened_at: datetime) -> datetime:
        """The earliest business time of ``fact`` (an event type's name) on a case that
        opened at ``opened_at``."""
        if fact == "ContactLogged":
            return opened_at - timedelta(days=self.contact_days)
        if fact == "PaymentRecorded":
            return opened_at - timedelta(days=self.payment_days)
        return opened_at

    def decide(self, fact: str, occurred_at: datetime, opened_at: datetime) -> PolicyDecision:
        from casehistory.domain.policies import PolicyDecision

        earliest = self.earliest(fact, opened_at)
        inside = occurred_at >= earliest
        return PolicyDecision(
            policy_id=self.policy_id,
            version=self.version,
            kind=EntitlementKind.BUSINESS_TIME,
            compared={
                "fact": fact,
                "occurred_at": occurred_at.isoformat(),
                "opened_at": opened_at.isoformat(),
                "earliest": earliest.isoformat(),
            },
            outcome="IN_BOUNDS" if inside else "TOO_EARLY",
            entitled=inside,
        )


def _parameter(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, time | date | datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    if isinstance(value, tzinfo):
        return getattr(value, "key", None) or str(value)
    if isinstance(value, frozenset | set):
        return sorted(str(_parameter(item)) for item in value)
    raise InvalidInput(f"a policy parameter has no canonical form: {value!r:.80}")


def policy_parameters(policy: Any) -> dict[str, Any]:
    """Everything ``policy`` decides with (an attrs policy), as plain JSON."""
    parameters = getattr(policy, "parameters", None)
    if callable(parameters):  # SlaPolicy says its own
        return dict(parameters())
    return {
        field.name: _parameter(getattr(policy, field.name))
        for field in attrs.fields(type(policy))
        if not field.name.startswith("_")
    }


def policy_digest(policy: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`policy_parameters`: what binds a
    policy's id and version to its parameters."""
    digest = getattr(policy, "digest", None)
    if isinstance(digest, str):  # SlaPolicy's, computed the same way
        return digest
    return hashlib.sha256(canonical_json(policy_parameters(policy))).hexdigest()
