"""The rule of sealing across cases: a case's personal texts are sealed under its own
customer's key.

A desk seals every text of a case under the key of the case's customer (the one that
sealed its opening, or that customer's current key), never under another's. A box copied
from another customer's case onto this one, beneath the desk, has a correct digest and
replays as recorded, so the replay of the rules cannot see it; yet forgetting this
case's customer would leave it readable, under a key their erasure does not destroy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from casehistory.audit.verify import Finding, Problem
from casehistory.domain import events as ev
from casehistory.domain.sealed import KeysWithheld, Sealed
from casehistory.domain.values import Customer

__all__ = ["ForeignKeys"]


def _boxes(event: ev.CaseEvent) -> Iterator[tuple[str, Sealed]]:
    """Each sealed value of ``event``, with the name of the field that holds it."""
    for name in ev.PERSONAL.get(type(event), ()):
        value = getattr(event, name, None)
        if isinstance(value, Sealed):
            yield name, value
        elif isinstance(value, Customer):
            for field in ev.PERSONAL_CUSTOMER_FIELDS:
                inner = getattr(value, field, None)
                if isinstance(inner, Sealed):
                    yield f"{name}.{field}", inner


class ForeignKeys:
    """Finds the boxes of a case sealed under a key that exists and is not its
    customer's. A key that no longer exists (destroyed by an erasure) cannot be told
    apart, and opens nothing; a login that may not read keys checks nothing."""

    def __init__(self, keys: Any) -> None:
        self._keys = keys

    def check(self, case_id: UUID, history: Sequence[ev.CaseEvent]) -> list[Finding]:
        if self._keys is None or not history or not isinstance(history[0], ev.CaseOpened):
            return []
        customer = history[0].customer.id
        verdicts: dict[str, bool | None] = {}
        findings = []
        try:
            for event in history:
                for name, box in _boxes(event):
                    key_id = box.key_id
                    if key_id not in verdicts:
                        verdicts[key_id] = self._keys.belongs(key_id, customer)
                    if verdicts[key_id] is False:
                        findings.append(
                            Finding(
                                case_id,
                                event.originator_version,
                                Problem.UNLAWFUL,
                                f"{type(event).__name__} holds {name} sealed under key "
                                f"{key_id!r:.40}, which is not the key of the case's customer "
                                f"{customer!r:.80} (rule: personal data: every personal text "
                                "is sealed under its customer's key); no desk records it, and "
                                "forgetting the customer would leave it readable",
                            )
                        )
        except KeysWithheld:
            return []  # a login that may not read keys cannot tell
        return findings
