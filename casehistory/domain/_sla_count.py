"""How the SLA clocks count: the spans a caller gives, checked and cut at an instant,
and the business time counted between them (see :mod:`casehistory.domain.sla`, whose
definitions these follow). Pure: no I/O, no wall clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from casehistory.domain.calendar import BusinessCalendar
from casehistory.domain.values import require_aware
from casehistory.errors import InvalidInput

__all__ = ["Count", "checked_spans", "count", "known_at", "merged"]

Spans = list[tuple[datetime, datetime | None]]


class Count(NamedTuple):
    """What :func:`count` found for one clock."""

    due_at: datetime
    breached: bool
    elapsed: timedelta
    paused_for: timedelta
    paused: bool


def checked_spans(spans: object, name: str, opened: datetime) -> Spans:
    """``spans`` as UTC pairs, once each is checked: pairs of aware instants, none before
    ``opened``, in time order, not overlapping, only the last open."""
    if isinstance(spans, str | bytes) or not isinstance(spans, Sequence):
        raise InvalidInput(f"{name} must be a sequence of (start, end) pairs, got {spans!r:.100}")
    found: Spans = []
    for index, span in enumerate(spans):
        if not isinstance(span, tuple | list) or len(span) != 2:
            raise InvalidInput(f"{name}[{index}] must be a (start, end) pair, got {span!r:.100}")
        start = require_aware(span[0], f"{name}[{index}] start").astimezone(UTC)
        end = None if span[1] is None else require_aware(span[1], f"{name}[{index}] end")
        end = None if end is None else end.astimezone(UTC)
        if start < opened:
            raise InvalidInput(
                f"{name}[{index}] starts at {start.isoformat()}, before the case opened at "
                f"{opened.isoformat()}"
            )
        if end is not None and end < start:
            raise InvalidInput(
                f"{name}[{index}] ends at {end.isoformat()}, before it starts at "
                f"{start.isoformat()}; give (start, end)"
            )
        if found:
            last_end = found[-1][1]
            if last_end is None or start < last_end:
                raise InvalidInput(
                    f"{name}[{index}] starts at {start.isoformat()}, before {name}[{index - 1}] "
                    "ends; give the spans in time order, not overlapping, only the last open"
                )
        found.append((start, end))
    return found


def known_at(spans: Spans, now: datetime) -> Spans:
    """The spans as known at ``now``: those started by then, an end after it unknown yet."""
    return [
        (start, None if end is None or end > now else end) for start, end in spans if start <= now
    ]


def merged(spans: Spans) -> Spans:
    """The union of spans, in time order; spans that touch or overlap become one."""
    union: Spans = []
    for start, end in sorted(spans, key=lambda span: span[0]):
        if union:
            last_start, last_end = union[-1]
            if last_end is None or start <= last_end:
                if last_end is not None and (end is None or end > last_end):
                    union[-1] = (last_start, end)
                continue
        union.append((start, end))
    return union


def count(
    calendar: BusinessCalendar,
    target: timedelta,
    opened: datetime,
    now: datetime,
    met_at: datetime | None,
    pauses: Spans,
) -> Count:
    """Count business time from ``opened`` to the clock's end (``met_at`` or ``now``),
    leaving out ``pauses``; the due time is where the count reaches ``target``."""
    end = now if met_at is None else met_at
    counted = paused_for = timedelta(0)
    due: datetime | None = None
    cursor = opened
    paused = False
    for start, stop in pauses:
        if start >= end and not (met_at is None and start == end):
            break
        running = calendar.elapsed(cursor, start)
        if due is None and counted + running >= target:
            due = calendar.due(cursor, target - counted)
        counted += running
        until = end if stop is None or stop > end else stop
        paused_for += calendar.elapsed(start, until)
        paused = met_at is None and until == end and (stop is None or stop > end)
        cursor = until
        if cursor >= end:
            break
    if cursor < end:
        running = calendar.elapsed(cursor, end)
        if due is None and counted + running >= target:
            due = calendar.due(cursor, target - counted)
        counted += running
        cursor = end
    if due is None:  # not reached by the end: as if the clock ran on from there
        due = calendar.due(cursor, target - counted)
    return Count(
        due_at=due, breached=end > due, elapsed=counted, paused_for=paused_for, paused=paused
    )
