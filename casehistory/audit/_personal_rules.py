"""The rules of personal data that need the key store and more than one case: a
case's personal texts are sealed under its own customer's key, and an erasure reaches
every case of its customer and leaves no key that opens them.

A desk seals every text of a case under the key of the case's customer (the one that
sealed its opening, or that customer's current key), never under another's. A box copied
from another customer's case onto this one, beneath the desk, has a correct digest and
replays as recorded, so the replay of the rules cannot see it; yet forgetting this
case's customer would leave it readable, under a key their erasure does not destroy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from casehistory.audit.verify import Finding, Problem
from casehistory.domain import events as ev
from casehistory.domain.sealed import KeysWithheld, Sealed
from casehistory.domain.values import Customer

__all__ = ["Erasures", "ForeignKeys"]


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


class Erasures:
    """The rules of an erasure seen across the log: a forgotten case's texts open under
    no key any more, and every case of a customer opened before their erasure holds it
    too (an erasure row deleted beneath the desk, or a ``forget_customer`` cut short,
    leaves one that does not)."""

    def __init__(self, keys: Any) -> None:
        self._keys = keys
        self._opened: dict[str, list[tuple[UUID, datetime, datetime | None]]] = {}

    def check(self, case_id: UUID, history: Sequence[ev.CaseEvent]) -> list[Finding]:
        if not history or not isinstance(history[0], ev.CaseOpened):
            return []
        customer = history[0].customer
        erasure = next((e for e in history if isinstance(e, ev.CustomerForgotten)), None)
        self._opened.setdefault(customer.id, []).append(
            (case_id, history[0].timestamp, None if erasure is None else erasure.timestamp)
        )
        if erasure is None or self._keys is None or not isinstance(customer.name, Sealed):
            return []
        try:
            text = self._keys.open(customer.name)
        except KeysWithheld:
            return []  # a login that may not read keys cannot tell
        if text is None:
            return []
        return [
            Finding(
                case_id,
                erasure.originator_version,
                Problem.UNLAWFUL,
                f"the customer {customer.id!r:.80} was forgotten, yet a key in casedesk_keys "
                "still opens the case's texts (a key row restored from a backup?); run "
                "`casehistory forget` for the customer again",
            )
        ]

    def findings(self) -> list[Finding]:
        found = []
        for customer_id, cases in self._opened.items():
            erased_at = [erased for _, _, erased in cases if erased is not None]
            if not erased_at:
                continue
            last = max(erased_at)
            for case_id, opened, erased in cases:
                if erased is None and opened < last:
                    found.append(
                        Finding(
                            case_id,
                            None,
                            Problem.UNLAWFUL,
                            f"the customer {customer_id!r:.80} was forgotten on another of "
                            "their cases, opened later, but this case holds no erasure (a "
                            "CustomerForgotten row deleted, or an erasure cut short); run "
                            "`casehistory forget` for the customer again",
                        )
                    )
        return found
