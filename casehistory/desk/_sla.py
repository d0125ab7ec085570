"""``desk.sla()``: a case's SLA clocks as of a moment, under the policy it opened with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from casehistory.domain.lifecycle import Status
from casehistory.domain.sla import SlaClocks, Span, sla_clocks
from casehistory.domain.state import StatusChange
from casehistory.domain.values import require_aware
from casehistory.views import CaseView

if TYPE_CHECKING:
    from casehistory.clock import Clock
    from casehistory.domain.policies import Policies

__all__ = ["SlaQueries", "sla_spans"]

_STANDS = frozenset({Status.RESOLVED, Status.CLOSED})


def sla_spans(changes: Sequence[StatusChange]) -> tuple[list[Span], list[Span]]:
    """The spans in which a case awaited the customer, and those in which it stood
    resolved or closed, from its status changes.

    Changes are taken in the order they were recorded; one whose business time is
    earlier than a change recorded before it (a late entry) counts from that earlier
    change's time, so spans never run backwards nor overlap."""
    awaiting: list[Span] = []
    resolved: list[Span] = []
    latest: datetime | None = None
    current: tuple[Status, datetime] | None = None
    for change in changes:
        at = change.occurred_at if latest is None else max(latest, change.occurred_at)
        latest = at
        if current is not None:
            _close(current, at, awaiting, resolved)
        current = (change.status, at)
    if current is not None:
        _close(current, None, awaiting, resolved)
    return _joined(awaiting), _joined(resolved)


def _close(current: tuple[Status, datetime], end: datetime | None, *lists: list[Span]) -> None:
    status, start = current
    awaiting, resolved = lists
    if status is Status.AWAITING_CUSTOMER:
        awaiting.append((start, end))
    elif status in _STANDS:
        resolved.append((start, end))


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


class SlaQueries:
    """The SLA query of :class:`~casehistory.CaseDesk`."""

    if TYPE_CHECKING:  # provided by DeskBase and Queries
        clock: Clock
        policies: Policies

        def case(
            self,
            case_id: UUID,
            *,
            as_of: datetime | None = None,
            known_at: datetime | None = None,
        ) -> CaseView: ...

    def sla(self, case_id: UUID, *, as_of: datetime | None = None) -> SlaClocks:
        """The first-response and resolution clocks of a case as of ``as_of`` (default:
        the desk clock's now), under the SLA policy the case opened with (recorded on
        its opening; a case opened before terms were recorded answers under the default
        policy, v1). Only the events that occurred by ``as_of`` count, so the answer as
        of a moment never changes afterwards but by a late entry of what happened by
        then. A response dated before the opening meets the clock at the opening.
        docs/sla.md has the definitions."""
        if as_of is None:
            moment = self.clock.now()
            view = self.case(case_id)
        else:
            moment = require_aware(as_of, "as_of")
            view = self.case(case_id, as_of=moment)
        policy = self.policies.sla_policy(view.sla)
        awaiting, resolved = sla_spans(view.status_changes)
        response = view.first_response_at
        if response is not None and response < view.opened_at:
            # A contact dated before the opening (the call that led to it): the clock
            # was met the moment it started.
            response = view.opened_at
        return sla_clocks(
            policy,
            opened_at=view.opened_at,
            channel=view.channel,
            as_of=max(moment, view.opened_at),
            first_response_at=response,
            awaiting=awaiting,
            resolved=resolved,
        )
