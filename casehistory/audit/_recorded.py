"""The policies a replay of ``verify --rules`` decides with: those that answer with the
decisions one event recorded, and, for the decisions of rules 2 whose parameters the
store's table binds, the policy those parameters make, asked again."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from casehistory.domain import events as ev
from casehistory.domain.binding import Binding, policy_key
from casehistory.domain.limits import (
    BusinessTimePolicy,
    CaseGoodwillLimitPolicy,
    CreditLimitPolicy,
    policy_digest,
)
from casehistory.domain.policies import PolicyDecision, ReturnShippingPolicy
from casehistory.domain.values import EntitlementKind, Fault, Money, Product
from casehistory.errors import CaseHistoryError

__all__ = ["DecisionNotRecorded", "Recorded"]

_DECISIONS = (
    "decision",
    "limit_check",
    "cutoff_check",
    "shipping_decision",
    "case_limit_check",
    "credit_check",
    "time_check",
)
_ENTITLEMENTS = ("decision", "window_check", "warranty_check")


class DecisionNotRecorded(CaseHistoryError):
    """Raised (and reported as a finding) when a replayed command needs a policy decision
    that its event does not carry: the event was not recorded by that command."""


class Recorded:
    """Policies that answer with the decisions one event recorded, and nothing else."""

    def __init__(self, event: ev.CaseEvent, table: Mapping[str, Binding] | None = None) -> None:
        fields = vars(event)
        self._table = table or {}
        self._decisions = {
            name: fields[name] for name in (*_DECISIONS, *_ENTITLEMENTS) if fields.get(name)
        }
        self.goodwill_limit = _Answer(self, "limit_check")
        self.overnight_cutoff = _Answer(self, "cutoff_check")
        self.return_shipping = _ShippingAnswer(self, "shipping_decision")
        self.case_goodwill_limit = _Rederived(self, "case_limit_check", CaseGoodwillLimitPolicy)
        self.credit_limit = _Rederived(self, "credit_check", CreditLimitPolicy)
        self.business_time = _Rederived(self, "time_check", BusinessTimePolicy)
        self._digests: dict[str, str] = fields.get("policy_digests") or {}

    def digest_for(self, decision: PolicyDecision) -> str | None:
        """The digest the event records for ``decision``'s policy (None: it records
        none, so a command that binds the decision is refused, and that is a finding)."""
        return self._digests.get(policy_key(decision.policy_id, decision.version))

    def bound(self, decision: PolicyDecision, kind: type[Any]) -> Any:
        """The policy the store's table binds to ``decision``'s id and version, when the
        event records that very digest (None otherwise)."""
        key = policy_key(decision.policy_id, decision.version)
        row = self._table.get(key)
        if row is None or self._digests.get(key) != row.digest:
            return None
        return _made(kind.__name__, row.parameters, row.digest)

    def recorded(self, name: str, asked: str) -> PolicyDecision:
        decision = self._decisions.get(name)
        if not isinstance(decision, PolicyDecision):
            raise DecisionNotRecorded(
                f"the command asks the {asked} policy, and the event records no decision "
                f"of it ({name}) (rule: every decision a command relies on is recorded)"
            )
        return decision

    def entitlement(self, kind: EntitlementKind, product: Product, on: Any) -> PolicyDecision:
        for name in _ENTITLEMENTS:
            decision = self._decisions.get(name)
            if isinstance(decision, PolicyDecision) and decision.kind is kind:
                return decision
        return self.recorded(f"a {kind.name} decision", kind.name)


_KINDS: dict[str, type[Any]] = {
    kind.__name__: kind for kind in (BusinessTimePolicy, CaseGoodwillLimitPolicy, CreditLimitPolicy)
}


@functools.lru_cache(maxsize=64)
def _made(kind: str, parameters: str, digest: str) -> Any:
    """The policy of class ``kind`` that ``parameters`` (the table's JSON) make, if its
    digest is ``digest``: made once per pass, not once per event."""
    try:
        policy = _KINDS[kind](**json.loads(parameters))
    except (CaseHistoryError, TypeError, ValueError):
        return None  # parameters no such policy takes: the digest check reports it
    return policy if policy_digest(policy) == digest else None


class _Answer:
    def __init__(self, policies: Recorded, name: str) -> None:
        self._policies, self._name = policies, name

    def decide(self, *_: Money | Any) -> PolicyDecision:
        return self._policies.recorded(self._name, self._name.removesuffix("_check"))


class _Rederived(_Answer):
    """A decision of rules 2 taken again: the event records its policy's digest, and the
    store's table binds that digest to parameters, so the policy those parameters make
    answers the command's own facts (the case as it stood), and must give the recorded
    decision. A recorded decision is otherwise all a replay has (rules 1, a table
    without the row: that is a finding of its own)."""

    def __init__(self, policies: Recorded, name: str, kind: type[Any]) -> None:
        super().__init__(policies, name)
        self._kind = kind

    def decide(self, *facts: Any) -> PolicyDecision:
        recorded = super().decide()
        policy = self._policies.bound(recorded, self._kind)
        if policy is None:
            return recorded
        fresh: PolicyDecision = policy.decide(*facts)
        if fresh != recorded:
            raise DecisionNotRecorded(
                f"the event records {recorded.outcome} ({recorded.facts}), but "
                f"{recorded.policy_id} v{recorded.version}, with the parameters the store's "
                f"table binds to it, decides {fresh.outcome} on the case as it stood "
                f"({fresh.facts}) (rule: a decision is the policy's answer to the facts)"
            )
        return recorded


class _ShippingAnswer(_Answer):
    def decide(self, *_: Fault | Any) -> PolicyDecision:
        return self._policies.recorded(self._name, "return shipping")

    payer = staticmethod(ReturnShippingPolicy.payer)
