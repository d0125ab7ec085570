"""A policy's id and version bound to its parameters (issue 12).

A version is a promise: every decision recorded under ``return-window v1`` was made with
the same parameters. Without a binding it is only a label, and a desk reopened with a
30-day window changed to 10 days, still called v1, recorded a second ``return-window v1``
decision that contradicted the first on the same case.

The binding has two halves, both here so that the rule lives in one place:

- every decision recorded on a case held to rules 2 travels with the digest of its
  policy's parameters (:func:`policy_digests`, the event's ``policy_digests``);
- a store records, once, the parameters each ``(policy id, version)`` was first used
  with; a desk whose policy has other parameters under a recorded version is refused
  when it opens (:func:`require_same_parameters`, :class:`PolicyVersionConflict`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from casehistory.domain.chain import canonical_json
from casehistory.domain.limits import policy_digest, policy_parameters
from casehistory.errors import PolicyVersionConflict

__all__ = [
    "Binding",
    "bindings",
    "policy_digests",
    "policy_key",
    "require_same_parameters",
]


def policy_key(policy_id: str, version: int) -> str:
    """How a decision names its policy: ``return-window v1``."""
    return f"{policy_id} v{version}"


@attrs.frozen
class Binding:
    """One policy's id and version, the digest of its parameters, and the parameters
    (canonical JSON text, for a person reading the store's table)."""

    policy_id: str
    version: int
    digest: str
    parameters: str

    @property
    def key(self) -> str:
        return policy_key(self.policy_id, self.version)


@functools.cache
def _binding(policy: Any) -> Binding:
    # Policies are frozen and hashable: a desk computes each digest once, not per command.
    return Binding(
        policy.policy_id,
        policy.version,
        policy_digest(policy),
        canonical_json(policy_parameters(policy)).decode(),
    )


def bindings(policies: Iterable[Any]) -> dict[str, Binding]:
    """The bindings of ``policies`` by key; :class:`PolicyVersionConflict` when two of
    them name the same id and version with different parameters."""
    found: dict[str, Binding] = {}
    for policy in policies:
        binding = _binding(policy)
        seen = found.setdefault(binding.key, binding)
        if seen.digest != binding.digest:
            raise _conflict(binding.key, binding.digest, seen.digest, "another of its policies")
    return found


def require_same_parameters(own: Mapping[str, Binding], recorded: Iterable[Binding]) -> None:
    """Refuse (:class:`PolicyVersionConflict`) when a policy of ``own`` has other
    parameters than ``recorded`` (the store's table) under the same id and version."""
    for row in recorded:
        mine = own.get(row.key)
        if mine is not None and mine.digest != row.digest:
            raise _conflict(row.key, mine.digest, row.digest, "this store")


def _conflict(key: str, mine: str, theirs: str, where: str) -> PolicyVersionConflict:
    return PolicyVersionConflict(
        f"policy {key}: this desk's parameters (digest {mine[:12]}...) are not those "
        f"recorded under {key} in {where} (digest {theirs[:12]}...) (rule: a policy's "
        "id and version name one set of parameters); a changed policy needs a new "
        "version: give it version= one above every version recorded"
    )


def policy_digests(decisions: Iterable[Any], digest_of: Any) -> dict[str, str]:
    """The ``policy_digests`` of an event recording ``decisions``: for each, its key
    and the digest ``digest_of(decision)`` answers (the desk's policy, or in a replay
    the event's own record); :class:`PolicyVersionConflict` when there is none."""
    digests: dict[str, str] = {}
    for decision in decisions:
        key = policy_key(decision.policy_id, decision.version)
        digest = digest_of(decision)
        if digest is None:
            raise PolicyVersionConflict(
                f"a {key} decision is recorded, and no policy this desk holds is {key} "
                "(rule: every decision is recorded with the digest of its policy's "
                "parameters); give the desk that policy"
            )
        digests[key] = digest
    return digests
