"""Which rules a case is held to: the rules version recorded when it opens.

A rule added after cases were recorded must not turn their lawful-at-the-time events
into unlawful ones on replay (``casehistory verify --rules``), nor refuse the next
command on a case that was half-way through a course the old rules allowed. So a case
records, on its ``CaseOpened``, the version of the rules it opened under; each rule
added later applies to the cases opened under a version that has it. A record written
before the version was recorded has none, and answers 1.

- **1**: the rules up to 0.2.x.
- **2**: issue 12's rules: the business-time bound, the cumulative goodwill limit,
  the credit limit by role, goodwill and vendor cover of repairs, the overnight
  upgrade, the customer's and the commended agent's identities, the RMA order after
  receipt, and return shipping re-decided by a later diagnosis (docs/policies.md).
  Every decision on such a case is recorded with its policy's digest
  (:mod:`casehistory.domain.binding`).
"""

from __future__ import annotations

__all__ = ["RULES_VERSION", "commitment_format", "require_rules_version"]

from casehistory.errors import InvalidInput

RULES_VERSION = 2
"""The rules a case opened today is held to."""

FIRST_RULES = 1
"""The rules of a case whose opening records no version (before 0.3.0)."""


def commitment_format(rules: int) -> int:
    """The format of the state commitments of a case held to ``rules``: 2 for rules 1
    (the fields of 0.2.0, so that commitments recorded before the rules version still
    verify), 3 from rules 2 (which adds the state's ``rules``)."""
    return 2 if rules < 2 else 3


def require_rules_version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= RULES_VERSION:
        raise InvalidInput(
            f"rules must be a rules version from 1 to {RULES_VERSION}, got {value!r:.80}"
        )
    return value
