"""The geometry of the HTML export's two charts, ready for the SVG templates to draw.

Computed here, drawn in ``templates/*.svg.j2``: the templates escape every label (a
customer's text never becomes markup), and this module only does arithmetic. Numbers
are rounded to a tenth of a pixel, so the same case always draws the same bytes.

- The status timeline: one lane per status, in lifecycle order, and a step line
  through the status after each event, x by version (the order of recording; business
  times may go back, a payment recorded today can have occurred last year). Each event
  is a mark; a mark where the status changed is larger, a mark that moved money is a
  diamond. Every mark has a tooltip naming the event.
- The ledger chart: per currency, a horizontal bar per ledger total (paid, refunded,
  credited, goodwill, held, released), scaled to the largest total of that currency
  (currencies are never compared).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from casehistory.domain.ledger import LEDGER_COLUMNS, Balance
from casehistory.domain.lifecycle import Status

__all__ = [
    "LEDGER_COLOURS",
    "STATUS_COLOURS",
    "Bar",
    "LedgerChart",
    "Mark",
    "Timeline",
    "TimelineEvent",
    "amount_text",
    "ledger_chart",
    "timeline",
]

STATUS_COLOURS: dict[str, str] = {
    Status.NEW.name: "#64748b",
    Status.OPEN.name: "#2563eb",
    Status.AWAITING_CUSTOMER.name: "#b45309",
    Status.AWAITING_RETURN.name: "#7c3aed",
    Status.IN_SERVICE.name: "#0e7490",
    Status.ESCALATED.name: "#dc2626",
    Status.RESOLVED.name: "#15803d",
    Status.CLOSED.name: "#334155",
}
"""A colour per status (dark enough for white text and for print), for marks and badges."""

LEDGER_COLOURS: dict[str, str] = {
    "paid": "#2563eb",
    "refunded": "#dc2626",
    "credited": "#15803d",
    "goodwill": "#0d9488",
    "held": "#d97706",
    "released": "#7c3aed",
}
"""A colour per ledger total."""

_WIDTH = 960.0
_LABELS = 150.0  # room for the lane names, left of the plot
_INSET = 40.0  # between the lane names and the first mark, so labels under it fit
_RIGHT = 30.0
_LANE = 24.0
_TOP = 12.0
_AXIS = 46.0  # version numbers, then dates of status changes
_DATE_GAP = 74.0  # a date label is about 60 px wide at 10 px


def _px(value: float) -> float:
    return round(value, 1)


def amount_text(amount: Decimal) -> str:
    """``amount`` with thousands separators and at least two decimals: 6,012.47."""
    places = max(2, -int(amount.as_tuple().exponent))
    return f"{amount:,.{places}f}"


@attrs.frozen
class TimelineEvent:
    """What the timeline needs to know about one event."""

    version: int
    event_type: str
    occurred_at: datetime
    status: str
    moved_money: bool


@attrs.frozen
class Lane:
    status: str
    y: float
    visited: bool


@attrs.frozen
class Mark:
    x: float
    y: float
    colour: str
    changed: bool
    moved_money: bool
    tooltip: str


@attrs.frozen
class Label:
    x: float
    text: str


@attrs.frozen
class Timeline:
    """A status timeline, in SVG user units."""

    width: float
    height: float
    left: float
    right: float
    axis_y: float
    lanes: tuple[Lane, ...]
    points: str
    marks: tuple[Mark, ...]
    versions: tuple[Label, ...]
    dates: tuple[Label, ...]
    description: str


def _every(count: int) -> int:
    """Label every n-th version so that labels stay at least 24 px apart."""
    room = (_WIDTH - _LABELS - _RIGHT - 1.5 * _INSET) / max(count, 1)
    return max(1, math.ceil(24 / room))


def timeline(events: Sequence[TimelineEvent]) -> Timeline:
    """The timeline of a case's events, oldest first (at least one)."""
    lanes_y = {status.name: _TOP + _LANE * (i + 0.5) for i, status in enumerate(Status)}
    visited = {event.status for event in events}
    left, right = _LABELS, _WIDTH - _RIGHT
    first, last = left + _INSET, right - _INSET / 2
    step = (last - first) / (len(events) - 1) if len(events) > 1 else 0.0
    axis_y = _TOP + _LANE * len(Status) + 4
    marks: list[Mark] = []
    points: list[str] = []
    versions: list[Label] = []
    dates: list[Label] = []
    previous: str | None = None
    last_date_x = -_DATE_GAP
    every = _every(len(events))
    for i, event in enumerate(events):
        x, y = _px(first + step * i), _px(lanes_y[event.status])
        if points:
            points.append(f"{x},{marks[-1].y}")  # across at the old status, then down: a step
        points.append(f"{x},{y}")
        changed = event.status != previous
        when = event.occurred_at.strftime("%Y-%m-%d %H:%M")
        tooltip = f"v{event.version} {event.event_type}, occurred {when}: {event.status}"
        marks.append(Mark(x, y, STATUS_COLOURS[event.status], changed, event.moved_money, tooltip))
        if i == len(events) - 1 and i % every and versions and x - versions[-1].x < 24:
            versions.pop()  # the last version is always labelled; its neighbour makes room
        if i % every == 0 or i == len(events) - 1:
            versions.append(Label(x, str(event.version)))
        if changed and x - last_date_x >= _DATE_GAP:
            dates.append(Label(x, event.occurred_at.date().isoformat()))
            last_date_x = x
        previous = event.status
    path = [e.status for i, e in enumerate(events) if i == 0 or e.status != events[i - 1].status]
    return Timeline(
        width=_WIDTH,
        height=_px(axis_y + _AXIS),
        left=left,
        right=right,
        axis_y=_px(axis_y),
        lanes=tuple(Lane(s.name, _px(lanes_y[s.name]), s.name in visited) for s in Status),
        points=" ".join(points),
        marks=tuple(marks),
        versions=tuple(versions),
        dates=tuple(dates),
        description=f"{len(events)} events; status " + " → ".join(path),
    )


_CHART_WIDTH = 640.0
_NAMES = 96.0
_VALUES = 110.0
_BAR = 24.0


@attrs.frozen
class Bar:
    column: str
    y: float
    width: float
    colour: str
    value: str


@attrs.frozen
class LedgerChart:
    """The totals of one currency as horizontal bars, in SVG user units."""

    currency: str
    width: float
    height: float
    left: float
    room: float
    bars: tuple[Bar, ...]
    description: str


def ledger_chart(balance: Balance) -> LedgerChart:
    """The bars of one currency's totals, the longest filling the chart."""
    totals = [(column, getattr(balance, column)) for column in LEDGER_COLUMNS]
    largest = max(value for _, value in totals)
    room = _CHART_WIDTH - _NAMES - _VALUES
    bars = tuple(
        Bar(
            column=column,
            y=_px(8 + _BAR * i),
            width=_px(float(value / largest) * room) if largest > 0 else 0.0,
            colour=LEDGER_COLOURS[column],
            value=amount_text(value),
        )
        for i, (column, value) in enumerate(totals)
    )
    return LedgerChart(
        currency=balance.currency,
        width=_CHART_WIDTH,
        height=_px(16 + _BAR * len(totals)),
        left=_NAMES,
        room=room,
        bars=bars,
        description=f"{balance.currency} ledger: "
        + ", ".join(f"{bar.column} {bar.value}" for bar in bars),
    )
