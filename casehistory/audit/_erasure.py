"""Which exported cases belong to a forgotten customer, as the exports mark them.

A customer forgotten (``desk.forget_customer``) has :class:`~casehistory.events.CustomerForgotten`
recorded on each of their cases and their key destroyed: an export made after it shows
their personal texts as ``[erased]`` and says so (docs/auditing.md, "Exports and
erasure"). The state is the case's at export time, read from its events (or from its
rows' types, on the path that never decodes them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.utils import get_topic

from casehistory.domain.events import CaseEvent, CustomerForgotten

__all__ = ["FORGOTTEN_FIELD", "forgotten_events", "forgotten_rows"]

FORGOTTEN_FIELD = "forgotten"
"""The key that ends each JSON Lines line of a case whose customer was forgotten (before
``unverified``), and the column of the CSV export that says it of each row."""

_FORGOTTEN_TOPIC = get_topic(CustomerForgotten)


def forgotten_events(events: Iterable[CaseEvent]) -> bool:
    """Whether a case of these events has its customer forgotten."""
    return any(isinstance(event, CustomerForgotten) for event in events)


def forgotten_rows(rows: Iterable[Any]) -> bool:
    """Whether a case of these stored rows has its customer forgotten (by their types)."""
    return any(row.topic == _FORGOTTEN_TOPIC for row in rows)
