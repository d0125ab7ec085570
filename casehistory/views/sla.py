"""A case's SLA clocks from its view: the spans it paused in, and the clocks under a
policy, as the desk (``desk.sla``) and the catalog both compute them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from casehistory.domain.lifecycle import Status
from casehistory.domain.sla import SlaClocks, SlaPolicy, Span, sla_clocks
from casehistory.domain.state import StatusChange
from casehistory.views.case import CaseView, status_spans

__all__ = ["view_clocks", "sla_spans"]

_STANDS = frozenset({Status.RESOLVED, Status.CLOSED})


def sla_spans(changes: Sequence[StatusChange]) -> tuple[list[Span], list[Span]]:
    """The spans in which a case awaited the customer, and those in which it stood
    resolved or closed, from its status changes.

    Changes are taken in the order they were recorded; one whose business time is
    earlier than a change recorded before it (a late entry) counts from that earlier
    change's time, so spans never run backwards nor overlap."""
    awaiting: list[Span] = []
    resolved: list[Span] = []
    for status, start, end in status_spans(changes):
        if status is Status.AWAITING_CUSTOMER:
            awaiting.append((start, end))
        elif status in _STANDS:
            resolved.append((start, end))
    return _joined(awaiting), _joined(resolved)


def _joined(spans: list[Span]) -> list[Span]:
    """Spans that touch (RESOLVED then CLOSED) as one; empty ones dropped."""
    joined: list[Span] = []
    for start, end in spans:
        if end is not None and end <= start:
            continue
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def view_clocks(view: CaseView, policy: SlaPolicy, as_of: datetime) -> SlaClocks:
    """The clocks of the case ``view`` folds, as of ``as_of`` (not before its opening),
    under ``policy``. A response dated before the opening meets the clock at the
    opening (the call that led to the case)."""
    awaiting, resolved = sla_spans(view.status_changes)
    response = view.first_response_at
    if response is not None and response < view.opened_at:
        response = view.opened_at
    return sla_clocks(
        policy,
        opened_at=view.opened_at,
        channel=view.channel,
        as_of=max(as_of, view.opened_at),
        first_response_at=response,
        awaiting=awaiting,
        resolved=resolved,
    )
