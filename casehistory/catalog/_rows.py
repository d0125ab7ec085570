"""What the catalog holds of a case: one row, its money per currency, and the ledger
entries of each event, all derived from the case's state (the one fold of
:mod:`casehistory.domain.state`), so that the catalog can never tell a case otherwise
than the case's own view does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import attrs

from casehistory.domain.events import CaseEvent
from casehistory.domain.ledger import LEDGER_COLUMNS, Ledger
from casehistory.domain.sealed import ERASED, Text, shown
from casehistory.domain.sla import SlaPolicy
from casehistory.domain.state import CaseState, Folding
from casehistory.views.case import CaseView
from casehistory.views.sla import view_clocks

__all__ = [
    "CaseRow",
    "LedgerEntry",
    "MoneyRow",
    "folded",
    "ledger_entries",
    "money_rows",
    "row_of",
]


@attrs.frozen
class CaseRow:
    """One case as the catalog lists it (table ``catalog_cases``, docs/catalog.md).

    Times are timezone-aware, in UTC; ``*_at`` are business times (when it occurred)
    and ``*_recorded_at`` store times (when the store recorded it)."""

    case_id: UUID
    version: int
    """The case's events (its version) that the row folds."""
    position: int
    """The notification id (log position) of the last of those events."""
    customer_id: str
    customer_name: str
    subject: str
    channel: str
    product_sku: str | None
    status: str
    fault: str
    agent_id: str | None
    department: str
    opened_at: datetime
    opened_recorded_at: datetime
    first_response_at: datetime | None
    first_response_recorded_at: datetime | None
    resolved_at: datetime | None
    resolved_recorded_at: datetime | None
    closed_at: datetime | None
    closed_recorded_at: datetime | None
    status_since: datetime
    last_activity_at: datetime
    """The latest business time of any event of the case."""
    last_recorded_at: datetime
    open_holds: int
    pending_escalation: str | None
    """Whom the pending escalation awaits (SUPERVISOR, MANAGER, VENDOR...), or None."""
    rma_stage: str | None
    """The stage of the case's latest RMA, or None."""
    sla_policy: str | None = None
    """The SLA policy the case opened under (None: one the catalog's desk does not know,
    and then every SLA column is None)."""
    sla_version: int | None = None
    first_response_due_at: datetime | None = None
    first_response_met_at: datetime | None = None
    first_response_paused: bool | None = None
    first_response_breached: bool | None = None
    """Breached as of the case's last activity; a running clock breaches later by time
    alone (``due_at`` passing), which queries compare with their own now."""
    resolution_due_at: datetime | None = None
    resolution_met_at: datetime | None = None
    resolution_paused: bool | None = None
    resolution_breached: bool | None = None
    money: tuple[MoneyRow, ...] = ()
    """Its totals per currency (table ``catalog_money``), filled when a query reads
    them."""


@attrs.frozen
class MoneyRow:
    """A case's totals in one currency (table ``catalog_money``)."""

    case_id: UUID
    currency: str
    paid: Decimal
    refunded: Decimal
    credited: Decimal
    goodwill: Decimal
    held: Decimal
    released: Decimal
    refundable: Decimal
    on_hold: Decimal


@attrs.frozen
class LedgerEntry:
    """What one event moved in one ledger column (table ``catalog_ledger``): the data
    of the money statistics per month."""

    case_id: UUID
    version: int
    column: str
    currency: str
    amount: Decimal
    occurred_at: datetime
    recorded_at: datetime


def personal_text(state: CaseState, value: Text) -> str:
    """A personal text as the catalog keeps it: the text, or :data:`ERASED` once the
    case's customer is forgotten (even while their key still exists)."""
    if state.forgotten:
        return ERASED
    return shown(value) or ""


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def row_of(
    state: CaseState,
    version: int,
    position: int,
    last_recorded_at: datetime,
    policy: SlaPolicy | None = None,
) -> CaseRow:
    """The catalog row of a case whose state after ``version`` is ``state``; with the
    SLA ``policy`` the case opened under, its clocks as of its last activity."""
    view = CaseView.of(state, (), version=version, last_recorded_at=last_recorded_at)
    changes = state.statuses
    resolved = view.resolved_change
    closed = changes[-1] if view.closed_at is not None and changes else None
    pending = state.pending_escalation
    latest_rma = list(state.rmas.values())[-1] if state.rmas else None
    last_activity = max((high for _, high in state.occurred_runs), default=state.opened_at)
    sla: dict[str, Any] = {}
    if policy is not None:
        clocks = view_clocks(view, policy, max(last_activity, state.opened_at))
        sla = {"sla_policy": policy.policy_id, "sla_version": policy.version}
        for name, clock in (
            ("first_response", clocks.first_response),
            ("resolution", clocks.resolution),
        ):
            sla[f"{name}_due_at"] = _utc(clock.due_at)
            sla[f"{name}_met_at"] = _maybe(clock.met_at)
            sla[f"{name}_paused"] = clock.paused
            sla[f"{name}_breached"] = clock.breached
    return CaseRow(
        case_id=state.case_id,
        version=version,
        position=position,
        customer_id=state.customer.id,
        customer_name=personal_text(state, state.customer.name),
        subject=personal_text(state, state.subject),
        channel=state.channel.name,
        product_sku=state.product.sku if state.product else None,
        status=state.status.name,
        fault=state.fault.name,
        agent_id=state.agent.id if state.agent else None,
        department=state.department,
        opened_at=_utc(state.opened_at),
        opened_recorded_at=_utc(changes[0].recorded_at) if changes else _utc(last_recorded_at),
        first_response_at=_maybe(state.first_response_at),
        first_response_recorded_at=_maybe(state.first_response_recorded_at),
        resolved_at=_maybe(resolved.occurred_at if resolved else None),
        resolved_recorded_at=_maybe(resolved.recorded_at if resolved else None),
        closed_at=_maybe(closed.occurred_at if closed else None),
        closed_recorded_at=_maybe(closed.recorded_at if closed else None),
        status_since=_utc(view.status_since),
        last_activity_at=_utc(max(last_activity, state.opened_at)),
        last_recorded_at=_utc(last_recorded_at),
        open_holds=len(state.open_holds),
        pending_escalation=pending.to.name if pending else None,
        rma_stage=latest_rma.stage.name if latest_rma else None,
        **sla,
    )


def money_rows(state: CaseState) -> Iterator[MoneyRow]:
    """The case's totals, one row per currency it has seen."""
    for currency, balance in sorted(state.ledger.balances.items()):
        totals: list[Decimal] = [getattr(balance, column) for column in LEDGER_COLUMNS]
        yield MoneyRow(  # type: ignore[call-arg]  # the six columns, in LEDGER_COLUMNS order
            state.case_id, currency, *totals, balance.refundable.amount, balance.on_hold.amount
        )


def ledger_entries(before: Ledger | None, after: Ledger, event: CaseEvent) -> Iterator[LedgerEntry]:
    """What ``event`` moved: the difference of the ledger before and after it, so the
    catalog reads money only through the fold (no second list of which event moves
    which column)."""
    for currency, balance in after.balances.items():
        old = before.balance(currency) if before is not None else None
        for column in LEDGER_COLUMNS:
            moved = getattr(balance, column) - (getattr(old, column) if old else Decimal(0))
            if moved:
                yield LedgerEntry(
                    event.originator_id,
                    event.originator_version,
                    column,
                    currency,
                    moved,
                    _utc(event.occurred_at),
                    _utc(event.timestamp),
                )


def folded(
    start: CaseState | None, events: Iterable[CaseEvent]
) -> tuple[CaseState, list[LedgerEntry]]:
    """``events`` folded onto ``start``, and the ledger entries they made (the
    projection's batches and the rebuild by case fold the same way)."""
    folding = Folding(start)
    entries: list[LedgerEntry] = []
    for event in events:
        before = folding.ledger
        folding.add(event)
        after = cast(Ledger, folding.ledger)
        if after is not before:  # an unchanged ledger moved nothing
            entries.extend(ledger_entries(before, after, event))
    return folding.state, entries
