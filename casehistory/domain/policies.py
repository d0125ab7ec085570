"""Versioned business policies and the decisions they make.

A policy is configuration with an id and a version. ``decide(...)`` is pure and
returns a :class:`PolicyDecision`: the policy id and version, the facts compared
and the outcome. The decision is stored inside the event that needed it and is
never recomputed on replay, so a policy changed next year cannot change last
year's history. Changing a policy's parameters means bumping its version.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

import attrs

from casehistory.domain._policy_checks import (
    MOST_DAYS,
    MOST_MINUTES,
    check_policy_id,
    check_version,
    whole,
)
from casehistory.domain.binding import Binding, bindings, policy_key
from casehistory.domain.limits import (
    BusinessTimePolicy,
    CaseGoodwillLimitPolicy,
    CreditLimitPolicy,
)
from casehistory.domain.sla import DEFAULT_SLA_POLICY, SlaPolicy, SlaTerms
from casehistory.domain.values import (
    EntitlementKind,
    Fault,
    Money,
    Payer,
    Product,
    instance_validator,
    to_amount,
)
from casehistory.errors import InvalidInput, SlaPolicyUnknown

__all__ = [
    "GoodwillLimitPolicy",
    "OvernightCutoffPolicy",
    "Policies",
    "PolicyDecision",
    "ReturnShippingPolicy",
    "ReturnWindowPolicy",
    "WarrantyPolicy",
    "require_entitlement_kind",
]


@attrs.frozen
class PolicyDecision:
    """A policy's answer, as recorded in an event.

    ``compared`` holds the facts the policy looked at, as ISO strings, so an auditor
    can check the decision by hand. ``entitled`` is True when the outcome allows the
    ordinary course (inside the window, in warranty, within the limit, same day).
    """

    policy_id: str
    version: int
    kind: EntitlementKind
    compared: dict[str, str]
    outcome: str
    entitled: bool

    @property
    def facts(self) -> str:
        """The policy and what it compared, e.g. ``return-window v1: last_day 2026-02-19, ...``."""
        facts = ", ".join(f"{k} {v}" for k, v in self.compared.items())
        return f"{self.policy_id} v{self.version}: {facts}"

    def __str__(self) -> str:
        return f"{self.kind.name} {self.outcome} ({self.facts})"


@attrs.frozen
class ReturnWindowPolicy:
    """A refund is owed inside ``days`` days from delivery (or purchase)."""

    days: int = attrs.field(default=30, validator=whole("days", MOST_DAYS))
    policy_id: str = attrs.field(default="return-window", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def decide(self, product: Product, on: date) -> PolicyDecision:
        last_day = product.start_of_cover + timedelta(days=self.days)
        inside = on <= last_day
        return PolicyDecision(
            policy_id=self.policy_id,
            version=self.version,
            kind=EntitlementKind.RETURN_WINDOW,
            compared={
                "counted_from": product.start_of_cover.isoformat(),
                "last_day": last_day.isoformat(),
                "checked_on": on.isoformat(),
                "days_elapsed": str((on - product.start_of_cover).days),
            },
            outcome="INSIDE" if inside else "OUTSIDE",
            entitled=inside,
        )


@attrs.frozen
class WarrantyPolicy:
    """Repairs are covered for ``days`` days from delivery (or purchase)."""

    days: int = attrs.field(default=365, validator=whole("days", MOST_DAYS))
    policy_id: str = attrs.field(default="warranty", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def decide(self, product: Product, on: date) -> PolicyDecision:
        expires = product.start_of_cover + timedelta(days=self.days)
        covered = on <= expires
        return PolicyDecision(
            policy_id=self.policy_id,
            version=self.version,
            kind=EntitlementKind.WARRANTY,
            compared={
                "counted_from": product.start_of_cover.isoformat(),
                "expires_on": expires.isoformat(),
                "checked_on": on.isoformat(),
            },
            outcome="IN_WARRANTY" if covered else "EXPIRED",
            entitled=covered,
        )


@attrs.frozen
class ReturnShippingPolicy:
    """The customer pays return shipping unless the fault is ours or the vendor's."""

    company_pays_when: frozenset[Fault] = frozenset({Fault.OURS, Fault.VENDOR})
    policy_id: str = attrs.field(default="return-shipping", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def decide(self, fault: Fault) -> PolicyDecision:
        company = fault in self.company_pays_when
        return PolicyDecision(
            policy_id=self.policy_id,
            version=self.version,
            kind=EntitlementKind.RETURN_SHIPPING,
            compared={"fault": fault.name},
            outcome=(Payer.COMPANY if company else Payer.CUSTOMER).name + "_PAYS",
            entitled=company,
        )

    @staticmethod
    def payer(decision: PolicyDecision) -> Payer:
        return Payer.COMPANY if decision.entitled else Payer.CUSTOMER


@attrs.frozen
class OvernightCutoffPolicy:
    """Overnight upgrades ship the same day until ``cutoff_minutes`` before the last shipment.

    After the cut-off the upgrade is still granted but ships the next day; the
    decision says which.
    """

    last_shipment: time = attrs.field(default=time(17, 0), validator=instance_validator(time))
    cutoff_minutes: int = attrs.field(default=30, validator=whole("minutes", MOST_MINUTES))
    timezone: tzinfo = attrs.field(default=UTC, validator=instance_validator(tzinfo))
    policy_id: str = attrs.field(default="overnight-cutoff", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def decide(self, at: datetime) -> PolicyDecision:
        local = at.astimezone(self.timezone)
        last = datetime.combine(local.date(), self.last_shipment, tzinfo=self.timezone)
        cutoff = last - timedelta(minutes=self.cutoff_minutes)
        same_day = local <= cutoff
        return PolicyDecision(
            policy_id=self.policy_id,
            version=self.version,
            kind=EntitlementKind.OVERNIGHT_CUTOFF,
            compared={"granted_at": local.isoformat(), "cutoff": cutoff.isoformat()},
            outcome="SAME_DAY" if same_day else "NEXT_DAY",
            entitled=same_day,
        )


@attrs.frozen
class GoodwillLimitPolicy:
    """An AGENT may grant goodwill or credit up to ``limit`` in the grant's currency."""

    limit: Decimal = attrs.field(default=Decimal("50.00"), converter=to_amount)
    policy_id: str = attrs.field(default="goodwill-limit", validator=check_policy_id)
    version: int = attrs.field(default=1, validator=check_version)

    def decide(self, value: Money) -> PolicyDecision:
        within = value.amount <= self.limit
        return PolicyDecision(
            policy_id=self.policy_id,
            version=self.version,
            kind=EntitlementKind.GOODWILL_LIMIT,
            compared={"value": str(value), "limit": f"{self.limit:,.2f} {value.currency}"},
            outcome="WITHIN_LIMIT" if within else "ABOVE_LIMIT",
            entitled=within,
        )


@attrs.frozen
class Policies:
    """The set of policies a desk decides with. Defaults are those of the domain guide."""

    return_window: ReturnWindowPolicy = ReturnWindowPolicy()
    warranty: WarrantyPolicy = WarrantyPolicy()
    return_shipping: ReturnShippingPolicy = ReturnShippingPolicy()
    overnight_cutoff: OvernightCutoffPolicy = OvernightCutoffPolicy()
    goodwill_limit: GoodwillLimitPolicy = GoodwillLimitPolicy()
    case_goodwill_limit: CaseGoodwillLimitPolicy = attrs.field(factory=CaseGoodwillLimitPolicy)
    credit_limit: CreditLimitPolicy = attrs.field(factory=CreditLimitPolicy)
    business_time: BusinessTimePolicy = attrs.field(factory=BusinessTimePolicy)
    sla: SlaPolicy = attrs.field(
        default=DEFAULT_SLA_POLICY, validator=attrs.validators.instance_of(SlaPolicy)
    )
    """The SLA policy new cases open under (its terms are recorded on CaseOpened)."""
    sla_history: tuple[SlaPolicy, ...] = attrs.field(default=(), converter=tuple)
    """Earlier SLA policies, to answer the clocks of cases opened under them."""
    _recorded: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False, alias="recorded")
    """The digests a desk's store records for policy versions this desk no longer
    holds (a decision recorded under one is relied on the same day): set by the desk."""

    def __attrs_post_init__(self) -> None:
        seen: dict[tuple[str, int], str] = {}
        for policy in (self.sla, *self.sla_history):
            if not isinstance(policy, SlaPolicy):
                raise InvalidInput(f"sla_history holds SlaPolicy values, got {policy!r:.80}")
            key = (policy.policy_id, policy.version)
            if seen.setdefault(key, policy.digest) != policy.digest:
                raise InvalidInput(
                    f"two SLA policies {key[0]} v{key[1]} with different parameters: a "
                    "changed policy needs a new version"
                )

    def bound(self) -> dict[str, Binding]:
        """Every policy of this desk (the SLA policies too) by ``"id vN"``, bound to the
        digest of its parameters: what a desk claims in its store's table of policies
        when it opens (:mod:`casehistory.domain.binding`)."""
        return _bound(self)

    def digest_for(self, decision: PolicyDecision) -> str | None:
        """The digest of the parameters of this desk's policy that ``decision`` names
        (None when no policy of this desk has its id and version)."""
        key = policy_key(decision.policy_id, decision.version)
        binding = self.bound().get(key)
        return self._recorded.get(key) if binding is None else binding.digest

    def sla_policy(self, terms: SlaTerms | None) -> SlaPolicy:
        """The SLA policy of a case that opened under ``terms`` (None: opened before
        terms were recorded, answered under the default policy, v1). Refused with
        :class:`SlaPolicyUnknown` when this desk knows no such id and version, or knows
        them with other parameters."""
        if terms is None:
            return DEFAULT_SLA_POLICY
        for policy in (self.sla, *self.sla_history):
            if (policy.policy_id, policy.version) != (terms.policy_id, terms.version):
                continue
            if policy.digest != terms.digest:
                raise SlaPolicyUnknown(
                    f"the case opened under {terms.policy_id} v{terms.version} with "
                    f"parameters {terms.digest[:12]}..., but this desk's {terms.policy_id} "
                    f"v{terms.version} has {policy.digest[:12]}...: a changed policy needs a "
                    "new version; give the desk the policy the case opened under"
                )
            return policy
        raise SlaPolicyUnknown(
            f"the case opened under SLA policy {terms.policy_id} v{terms.version}, which "
            "this desk does not know; give it in Policies(sla_history=(...))"
        )

    def entitlement(self, kind: EntitlementKind, product: Product, on: date) -> PolicyDecision:
        """Decide RETURN_WINDOW or WARRANTY for ``product`` on day ``on``."""
        require_entitlement_kind(kind)
        if kind is EntitlementKind.RETURN_WINDOW:
            return self.return_window.decide(product, on)
        return self.warranty.decide(product, on)


@functools.cache
def _bound(policies: Policies) -> dict[str, Binding]:
    # Cached per Policies value: a command asks for a digest, and pays a dict lookup.
    return bindings(
        (
            policies.return_window,
            policies.warranty,
            policies.return_shipping,
            policies.overnight_cutoff,
            policies.goodwill_limit,
            policies.case_goodwill_limit,
            policies.credit_limit,
            policies.business_time,
            policies.sla,
            *policies.sla_history,
        )
    )


def require_entitlement_kind(kind: object) -> EntitlementKind:
    """Return ``kind`` if it is RETURN_WINDOW or WARRANTY, else raise :class:`InvalidInput`."""
    if kind not in (EntitlementKind.RETURN_WINDOW, EntitlementKind.WARRANTY):
        raise InvalidInput(
            f"entitlements are RETURN_WINDOW or WARRANTY, got {kind!r}; the other policies "
            "are decided by the commands that need them"
        )
    return kind
