"""Filters, order and keyset paging of catalog queries, as SQL on the catalog's tables."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from casehistory.catalog._db import from_db, to_sqlite
from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Channel, EscalationTarget, Fault, require_aware
from casehistory.errors import InvalidInput

__all__ = ["ORDERS", "Filters", "decode_cursor", "encode_cursor", "where"]

ORDERS = {"opened": ("opened_at", "ASC"), "-opened": ("opened_at", "DESC")}
"""Orders a query may ask for. Both are keyed on the opening time and the case id,
which never change, so a page after a cursor neither skips nor repeats a case while
writers run."""

_AWAITING = {"customer": Status.AWAITING_CUSTOMER, "return": Status.AWAITING_RETURN}
Span = tuple[datetime | None, datetime | None]


@attrs.frozen(kw_only=True)
class Filters:
    """What a query asks for; every filter given must hold (None: any)."""

    status: Status | Iterable[Status] | None = None
    fault: Fault | Iterable[Fault] | None = None
    channel: Channel | Iterable[Channel] | None = None
    customer: str | None = None
    agent: str | None = None
    department: str | None = None
    opened: Span | None = None
    closed: Span | None = None
    idle_since: datetime | None = None
    awaiting: str | None = None
    pending_approval: bool | EscalationTarget | None = None
    open_holds: bool | None = None
    text: str | None = None
    sla_breached: bool | None = None
    due_before: datetime | None = None
    now: datetime | None = None
    """The moment SLA breaches are judged at (the desk clock's now, by default)."""


def _breached(clock: str) -> str:
    """SQL: the clock ``clock`` is breached as of the parameter ``?`` (now). A met clock
    was breached if met after its due time; a paused one keeps the verdict it had when
    it paused (its time stands still); a running one breaches when its due time
    passes."""
    return (
        f"(c.{clock}_met_at IS NOT NULL AND c.{clock}_met_at > c.{clock}_due_at"
        f" OR c.{clock}_met_at IS NULL AND c.{clock}_paused AND c.{clock}_breached"
        f" OR c.{clock}_met_at IS NULL AND NOT c.{clock}_paused AND c.{clock}_due_at < ?)"
    )


def _running_due(clock: str) -> str:
    return f"(c.{clock}_met_at IS NULL AND NOT c.{clock}_paused AND c.{clock}_due_at <= ?)"


def _names(value: Any, kind: type[Enum], name: str) -> list[str]:
    members = [value] if isinstance(value, kind) else list(value)
    if not members or not all(isinstance(m, kind) for m in members):
        raise InvalidInput(f"{name} must be a {kind.__name__} or some, got {value!r:.80}")
    return [m.name for m in members]


def _span(value: Any, name: str) -> Span:
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidInput(f"{name} must be a (since, until) pair, either None, got {value!r:.80}")
    since, until = value
    for moment in value:
        if moment is not None:
            require_aware(moment, name)
    if since is not None and until is not None and until < since:
        raise InvalidInput(f"{name}: until {until.isoformat()} is before since {since.isoformat()}")
    return since, until


def where(filters: Filters, sqlite: bool) -> tuple[list[str], list[Any]]:
    """The SQL conditions of ``filters`` (on ``catalog_cases c``) and their parameters."""
    clauses: list[str] = []
    params: list[Any] = []

    def within(column: str, names: list[str]) -> None:
        clauses.append(f"c.{column} IN ({', '.join('?' * len(names))})")
        params.extend(names)

    if filters.status is not None:
        within("status", _names(filters.status, Status, "status"))
    if filters.fault is not None:
        within("fault", _names(filters.fault, Fault, "fault"))
    if filters.channel is not None:
        within("channel", _names(filters.channel, Channel, "channel"))
    for column, value, name in (
        ("customer_id", filters.customer, "customer"),
        ("agent_id", filters.agent, "agent"),
        ("department", filters.department, "department"),
    ):
        if value is not None:
            if not isinstance(value, str):
                raise InvalidInput(f"{name} must be a text (an id), got {value!r:.80}")
            clauses.append(f"c.{column} = ?")
            params.append(value)
    for column, span, name in (
        ("opened_at", filters.opened, "opened"),
        ("closed_at", filters.closed, "closed"),
    ):
        if span is not None:
            since, until = _span(span, name)
            if since is not None:
                clauses.append(f"c.{column} >= ?")
                params.append(since)
            if until is not None:
                clauses.append(f"c.{column} <= ?")
                params.append(until)
    if filters.idle_since is not None:
        clauses.append("c.last_activity_at <= ?")
        params.append(require_aware(filters.idle_since, "idle_since"))
    if filters.awaiting is not None:
        if filters.awaiting not in _AWAITING:
            raise InvalidInput(
                f"awaiting must be one of {', '.join(_AWAITING)}, got {filters.awaiting!r:.80}"
            )
        within("status", [_AWAITING[filters.awaiting].name])
    pending = filters.pending_approval
    if pending is True:
        clauses.append("c.pending_escalation IS NOT NULL")
    elif pending is False:
        clauses.append("c.pending_escalation IS NULL")
    elif pending is not None:
        within("pending_escalation", _names(pending, EscalationTarget, "pending_approval"))
    if filters.open_holds is not None:
        if not isinstance(filters.open_holds, bool):
            raise InvalidInput(f"open_holds must be True or False, got {filters.open_holds!r}")
        clauses.append("c.open_holds > 0" if filters.open_holds else "c.open_holds = 0")
    if filters.sla_breached is not None or filters.due_before is not None:
        now = require_aware(filters.now, "now") if filters.now is not None else None
        if filters.sla_breached is not None:
            if not isinstance(filters.sla_breached, bool) or now is None:
                raise InvalidInput(
                    f"sla_breached must be True or False, got {filters.sla_breached!r:.40}"
                )
            either = f"({_breached('first_response')} OR {_breached('resolution')})"
            if filters.sla_breached:
                clauses.append(either)
            else:
                clauses.append(f"c.sla_policy IS NOT NULL AND NOT {either}")
            params.extend([now, now])
        if filters.due_before is not None:
            due = require_aware(filters.due_before, "due_before")
            clauses.append(f"({_running_due('first_response')} OR {_running_due('resolution')})")
            params.extend([due, due])
    if filters.text is not None:
        words = _words(filters.text)
        if sqlite:
            clauses.append(
                "c.case_id IN (SELECT case_id FROM catalog_search WHERE catalog_search MATCH ?)"
            )
            params.append(" ".join('"' + word.replace('"', '""') + '"' for word in words))
        else:
            clauses.append("c.search @@ plainto_tsquery('simple', ?)")
            params.append(" ".join(words))
    return clauses, params


def _words(text: Any) -> list[str]:
    if not isinstance(text, str):
        raise InvalidInput(f"text must be a text, got {text!r:.80}")
    words = re.findall(r"\w+", text)
    if not words:
        raise InvalidInput(f"text {text!r:.80} holds no word to search for")
    return words


def encode_cursor(order: str, row: Any) -> str:
    """An opaque cursor after ``row``."""
    data = [order, to_sqlite(row.opened_at), str(row.case_id)]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> tuple[datetime, UUID]:
    """The (opened_at, case_id) a cursor is after; InvalidInput for anything else."""
    try:
        if not isinstance(cursor, str) or len(cursor) > 400:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, opened, case_id = json.loads(raw)
        if kind != order:
            raise InvalidInput(
                f"cursor {cursor[:40]!r} is of a query in order {kind!r}, not {order!r}: "
                "page with the same order"
            )
        return from_db("time", opened), UUID(case_id)
    except InvalidInput:
        raise
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput(
            f"cursor {str(cursor)[:40]!r} is not a cursor a catalog query gave; pass the "
            "page's .cursor as it is"
        ) from None
