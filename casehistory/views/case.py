"""The case view: what a case is, as a frozen fold of its events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

import attrs

from casehistory.domain.events import CaseEvent
from casehistory.domain.ledger import LEDGER_COLUMNS, Hold, Ledger
from casehistory.domain.lifecycle import Status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.state import CaseLink, CaseState, Escalation, Rma, fold
from casehistory.domain.values import Actor, Customer, Fault, Product
from casehistory.views.events import FoldedEvents

__all__ = ["CaseView", "case_view"]


def _folded(events: Sequence[CaseEvent]) -> FoldedEvents:
    return events if isinstance(events, FoldedEvents) else FoldedEvents(events)


@attrs.frozen
class CaseView:
    """A case as its events say it is. Equal views mean equal answers.

    ``ledger`` holds running totals per currency; ``open_holds`` the holds with money
    still held; ``decisions`` the latest recorded decision per policy kind.
    ``version``, ``last_recorded_at`` and ``digest`` are those of the last event the
    view folds. ``events`` are the events it folds, oldest first; a view the desk
    answered from a snapshot reads them from the store on first use (see
    :class:`~casehistory.views.events.FoldedEvents`), so read them before closing
    the desk. Equality leaves ``events`` out, so comparing views never reads the
    store; ``version`` and ``digest`` (the hash chain up to the last event folded)
    tell the histories apart.
    """

    case_id: UUID
    version: int
    status: Status
    fault: Fault
    customer: Customer
    subject: str
    product: Product | None
    agent: Actor | None
    department: str
    resolution: str | None
    ledger: Ledger
    open_holds: tuple[Hold, ...]
    escalations: tuple[Escalation, ...]
    rmas: tuple[Rma, ...]
    decisions: dict[str, PolicyDecision]
    links: tuple[CaseLink, ...]
    opened_at: datetime
    last_recorded_at: datetime
    digest: str | None
    events: FoldedEvents = attrs.field(repr=False, eq=False, converter=_folded)

    @classmethod
    def of(
        cls,
        state: CaseState,
        events: Sequence[CaseEvent],
        *,
        version: int | None = None,
        last_recorded_at: datetime | None = None,
    ) -> CaseView:
        """The view of ``state``, folded from ``events``.

        ``version`` and ``last_recorded_at`` default to those of the last event;
        give them with events not read yet, so that building the view reads nothing.
        """
        if version is None or last_recorded_at is None:
            version, last_recorded_at = events[-1].originator_version, events[-1].timestamp
        return cls(
            case_id=state.case_id,
            version=version,
            status=state.status,
            fault=state.fault,
            customer=state.customer,
            subject=state.subject,
            product=state.product,
            agent=state.agent,
            department=state.department,
            resolution=state.resolution,
            ledger=state.ledger,
            open_holds=state.open_holds,
            escalations=state.escalations,
            rmas=tuple(state.rmas.values()),
            decisions=dict(state.decisions),
            links=state.links,
            opened_at=state.opened_at,
            last_recorded_at=last_recorded_at,
            digest=state.digest,
            events=events,
        )

    def summary(self) -> str:
        """One line: status, fault and the ledger's totals per currency."""
        totals = "; ".join(
            " ".join(
                [currency]
                + [f"{column} {getattr(balance, column):,.2f}" for column in LEDGER_COLUMNS]
            )
            for currency, balance in sorted(self.ledger.balances.items())
        )
        return (
            f"status {self.status.name}, fault {self.fault.name}, "
            f"ledger: {totals or 'no money recorded'}"
        )


def case_view(events: Iterable[CaseEvent]) -> CaseView:
    """Fold a case's events, in version order, into its view."""
    history = tuple(events)
    return CaseView.of(fold(history), history)
