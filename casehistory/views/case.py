"""The case view: what a case is, as a frozen fold of its events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from casehistory.domain.events import CaseEvent
from casehistory.domain.ledger import LEDGER_COLUMNS, Hold
from casehistory.domain.lifecycle import Status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.sealed import ERASED, Sealed, Text, shown_text
from casehistory.domain.sla import SlaTerms
from casehistory.domain.state import CaseLink, CaseState, Escalation, Rma, StatusChange, fold
from casehistory.domain.values import (
    Actor,
    Channel,
    Customer,
    EntitlementKind,
    Fault,
    Product,
    require_aware,
)
from casehistory.views.events import FoldedEvents
from casehistory.views.ledger import Ledger

__all__ = ["CaseView", "case_view", "status_spans"]


def _folded(events: Sequence[CaseEvent]) -> FoldedEvents:
    return events if isinstance(events, FoldedEvents) else FoldedEvents(events)


def shown_customer(customer: Customer, text: Callable[[Text], str] = shown_text) -> Customer:
    """The customer as a view shows them: name and email as text (or erased)."""
    if type(customer.name) is str and (customer.email is None or type(customer.email) is str):
        return customer
    email = None if customer.email is None else text(customer.email)
    if type(customer) is Customer:
        # attrs.evolve's answer (its fields are these three: tests/unit/
        # test_read_path_view.py), validated alike, without its walk of the fields.
        return Customer(customer.id, text(customer.name), email)
    return attrs.evolve(customer, name=text(customer.name), email=email)


@attrs.frozen
class CaseView:
    """A case as its events say it is. Equal views mean equal answers.

    ``ledger`` holds running totals per currency, each a :class:`~casehistory.Money`;
    ``open_holds`` the holds with money still held; ``decisions`` the latest recorded
    decision of each kind of policy, keyed by its :class:`~casehistory.EntitlementKind`.
    ``version``, ``last_recorded_at`` and ``digest`` are those of the last event the
    view folds. ``events`` are the events it folds, oldest first; a view the desk
    answered from a snapshot reads them from the store on first use (see
    :class:`~casehistory.views.events.FoldedEvents`), so read them before closing
    the desk. Equality leaves ``events`` out, so comparing views never reads the
    store; ``version`` and ``digest`` (the hash chain up to the last event folded)
    tell the histories apart.

    Times: ``opened_at``, ``first_response_at`` (the earliest contact in which staff
    reached the customer, see :func:`~casehistory.domain.state.reaches_customer`),
    ``status_changes`` (each status the case took and the business time it took it,
    in the order of recording), and from those :attr:`status_since`,
    :attr:`resolved_at`, :attr:`closed_at` and :meth:`time_in_status`. All are
    business times (``occurred_at``); ``last_recorded_at`` is store time.
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
    decisions: dict[EntitlementKind, PolicyDecision]
    links: tuple[CaseLink, ...]
    opened_at: datetime
    last_recorded_at: datetime
    digest: str | None
    channel: Channel
    first_response_at: datetime | None
    status_changes: tuple[StatusChange, ...]
    sla: SlaTerms | None
    """The SLA terms the case opened under (None: opened before they were recorded)."""
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
        forgotten = state.forgotten

        def text(value: Text) -> str:
            # A forgotten customer's texts read as erased whatever the key store says: a
            # key row put back by a restore opens nothing here.
            return ERASED if forgotten and isinstance(value, Sealed) else shown_text(value)

        def maybe(value: Text | None) -> str | None:
            return None if value is None else text(value)

        return cls(
            case_id=state.case_id,
            version=version,
            status=state.status,
            fault=state.fault,
            customer=shown_customer(state.customer, text),
            subject=text(state.subject),
            product=state.product,
            agent=state.agent,
            department=state.department,
            resolution=maybe(state.resolution),
            ledger=Ledger.of(state.ledger),
            open_holds=tuple(
                attrs.evolve(hold, account=text(hold.account), reason=text(hold.reason))
                for hold in state.open_holds
            ),
            escalations=tuple(
                attrs.evolve(
                    escalation,
                    reason=text(escalation.reason),
                    decision_reason=maybe(escalation.decision_reason),
                )
                for escalation in state.escalations
            ),
            rmas=tuple(state.rmas.values()),
            # The state keys them by the kind's name, the form its commitments hash.
            decisions={EntitlementKind[kind]: d for kind, d in state.decisions.items()},
            links=state.links,
            opened_at=state.opened_at,
            last_recorded_at=last_recorded_at,
            digest=state.digest,
            channel=state.channel,
            first_response_at=state.first_response_at,
            status_changes=state.statuses,
            sla=state.sla,
            events=events,
        )

    @property
    def status_since(self) -> datetime:
        """The business time of the event that set the current status."""
        return self.status_changes[-1].occurred_at if self.status_changes else self.opened_at

    @property
    def resolved_at(self) -> datetime | None:
        """When the resolution that stands was reached: the business time the case
        last became RESOLVED, while it is RESOLVED or CLOSED; None once reopened."""
        change = self.resolved_change
        return None if change is None else change.occurred_at

    @property
    def resolved_change(self) -> StatusChange | None:
        """The change to RESOLVED whose resolution stands (the case is RESOLVED or
        CLOSED now): its business and store times. None otherwise."""
        if self.status not in (Status.RESOLVED, Status.CLOSED):
            return None
        return next((c for c in reversed(self.status_changes) if c.status is Status.RESOLVED), None)

    @property
    def closed_at(self) -> datetime | None:
        """When the case was closed, while it is CLOSED (None otherwise)."""
        return self.status_since if self.status is Status.CLOSED else None

    def time_in_status(self, until: datetime) -> dict[Status, timedelta]:
        """Business time spent in each status the case took, the current one counted up
        to ``until``. A span runs from the business time of the event that set a
        status to that of the event that changed it; events are taken in the order
        they were recorded; a change entered late (occurred before a change recorded
        earlier) counts from that earlier change's time, so spans never run backwards
        nor count twice."""
        require_aware(until, "until")
        spent: dict[Status, timedelta] = {}
        for status, start, end in status_spans(self.status_changes):
            spent[status] = (
                spent.get(status, timedelta(0))
                + (max(until, start) if end is None else end)
                - start
            )
        return spent

    def summary(self) -> str:
        """One line: status, fault and the ledger's totals per currency."""
        totals = "; ".join(
            " ".join(
                [currency]
                + [f"{column} {getattr(balance, column).amount:,.2f}" for column in LEDGER_COLUMNS]
            )
            for currency, balance in sorted(self.ledger.balances.items())
        )
        return (
            f"status {self.status.name}, fault {self.fault.name}, "
            f"ledger: {totals or 'no money recorded'}"
        )


def status_spans(
    changes: Sequence[StatusChange],
) -> list[tuple[Status, datetime, datetime | None]]:
    """Each status a case took, from the business time it took it to the time it left
    it (None: it stands), in the order of recording. A change entered late (occurred
    before a change recorded earlier) counts from that earlier change's time, so spans
    never run backwards nor overlap: what time per status and the SLA clocks count."""
    spans: list[tuple[Status, datetime, datetime | None]] = []
    latest: datetime | None = None
    for change in changes:
        at = change.occurred_at if latest is None else max(latest, change.occurred_at)
        if spans:
            status, start, _ = spans[-1]
            spans[-1] = (status, start, at)
        spans.append((change.status, at, None))
        latest = at
    return spans


def case_view(events: Iterable[CaseEvent]) -> CaseView:
    """Fold a case's events, in version order, into its view."""
    history = tuple(events)
    return CaseView.of(fold(history), history)
