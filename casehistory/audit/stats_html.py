"""The stats page: ``desk.catalog.stats()`` as one self-contained HTML page, with SVG
bar charts (cases by status, fault and channel; money moved per period, one chart per
currency) and the figures as tables.

Built as the export is (:mod:`casehistory.audit.export_html`): the same jinja2
environment (autoescaping on, so no text becomes markup), the same inline style sheet,
no script and nothing fetched from anywhere; the geometry is computed here and drawn in
``templates/stats*.j2``. The page is a function of the stats and the arguments (the
generation time is passed in), so the same stats give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TextIO

import attrs

from casehistory.audit._svg import LEDGER_COLOURS, STATUS_COLOURS, amount_text
from casehistory.audit.export_html import _environment
from casehistory.catalog._stats import MoneyMoved, Stats, duration_text
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.values import require_aware, require_text

__all__ = [
    "CHARTED",
    "DEFAULT_TITLE",
    "MAX_GROUPS",
    "BarChart",
    "MoneyChart",
    "bar_chart",
    "money_chart",
    "write_stats_html",
]

DEFAULT_TITLE = "Case statistics"
"""The page's title when none is given."""

CHARTED = ("paid", "refunded", "credited", "goodwill")
"""The ledger columns the money charts draw (the tables show all six)."""

MAX_GROUPS = 24
"""The most periods a money chart draws: the latest ones (the table lists every one)."""

_PLAIN = "#475569"  # bars of faults and channels, which have no colours of their own


def _px(value: float) -> float:
    return round(value, 1)


@attrs.frozen
class Bar:
    label: str
    value: int
    y: float
    width: float
    colour: str


@attrs.frozen
class BarChart:
    """Counts as horizontal bars, the largest filling the chart, in SVG user units."""

    name: str
    title: str
    width: float
    height: float
    left: float
    room: float
    bars: tuple[Bar, ...]
    description: str


def bar_chart(name: str, title: str, counts: dict[str, int], colours: dict[str, str]) -> BarChart:
    """The bars of ``counts`` (in their order), coloured by ``colours`` (else grey)."""
    width, left, values, row = 640.0, 150.0, 60.0, 24.0
    room = width - left - values
    largest = max(counts.values(), default=0)
    bars = tuple(
        Bar(
            label=label,
            value=count,
            y=_px(8 + row * i),
            width=_px(count / largest * room) if largest else 0.0,
            colour=colours.get(label, _PLAIN),
        )
        for i, (label, count) in enumerate(counts.items())
    )
    return BarChart(
        name=name,
        title=title,
        width=width,
        height=_px(16 + row * len(bars)),
        left=left,
        room=room,
        bars=bars,
        description=f"{title}: " + ", ".join(f"{bar.label} {bar.value}" for bar in bars),
    )


@attrs.frozen
class Column:
    x: float
    y: float
    width: float
    height: float
    colour: str
    tooltip: str


@attrs.frozen
class Tick:
    x: float
    text: str


@attrs.frozen
class MoneyChart:
    """One currency's money per period as groups of columns, in SVG user units."""

    currency: str
    width: float
    height: float
    left: float
    right: float
    top: float
    base: float
    largest: str
    columns: tuple[Column, ...]
    ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str, float], ...]
    shown: int
    periods: int
    description: str


def money_chart(currency: str, rows: Sequence[MoneyMoved]) -> MoneyChart:
    """The columns of ``rows`` (one currency's, oldest first): per period a group of
    :data:`CHARTED` columns, scaled to the largest amount shown; the latest
    :data:`MAX_GROUPS` periods."""
    shown = list(rows)[-MAX_GROUPS:]
    width, left, right, top, plot = 960.0, 90.0, 20.0, 34.0, 200.0
    base = top + plot
    largest = max((getattr(row, c) for row in shown for c in CHARTED), default=Decimal(0))
    group = (width - left - right) / max(len(shown), 1)
    bar = group * 0.8 / len(CHARTED)
    every = max(1, -(-66 // int(group)))  # a label is about 60 px wide at 10 px
    columns: list[Column] = []
    ticks: list[Tick] = []
    for i, row in enumerate(shown):
        start = left + group * i + group * 0.1
        for j, column in enumerate(CHARTED):
            amount: Decimal = getattr(row, column)
            height = float(amount / largest) * plot if largest > 0 else 0.0
            columns.append(
                Column(
                    x=_px(start + bar * j),
                    y=_px(base - height),
                    width=_px(bar),
                    height=_px(height),
                    colour=LEDGER_COLOURS[column],
                    tooltip=f"{row.period} {column} {amount_text(amount)} {currency}",
                )
            )
        if i % every == 0:
            ticks.append(Tick(_px(left + group * (i + 0.5)), row.period))
    legend = tuple((c, LEDGER_COLOURS[c], _px(left + 110.0 * k)) for k, c in enumerate(CHARTED))
    return MoneyChart(
        currency=currency,
        width=width,
        height=_px(base + 28),
        left=left,
        right=width - right,
        top=top,
        base=base,
        largest=amount_text(largest),
        columns=tuple(columns),
        ticks=tuple(ticks),
        legend=legend,
        shown=len(shown),
        periods=len(rows),
        description=f"{currency} moved per period: "
        + "; ".join(
            f"{row.period} " + ", ".join(f"{c} {amount_text(getattr(row, c))}" for c in CHARTED)
            for row in shown
        ),
    )


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def write_stats_html(
    stats: Stats,
    out: TextIO,
    *,
    generated_at: datetime,
    title: str = DEFAULT_TITLE,
    position: int | None = None,
) -> None:
    """Write ``stats`` as one self-contained HTML page. ``generated_at`` (aware) is
    printed as the page's generation time; ``position`` (the log position the figures
    count up to) is printed if given."""
    generated_at = require_aware(generated_at, "generated_at")
    title = require_text(title, "title")
    currencies = sorted({row.currency for row in stats.money})
    template = _environment().get_template("stats.html.j2")
    counts = (
        bar_chart("status", "Cases by status", dict(stats.by_status), STATUS_COLOURS),
        bar_chart("fault", "Cases by fault", dict(stats.by_fault), {}),
        bar_chart("channel", "Cases by channel", dict(stats.by_channel), {}),
    )
    money = tuple(
        money_chart(currency, [row for row in stats.money if row.currency == currency])
        for currency in currencies
    )
    for chunk in template.generate(
        title=title,
        stats=stats,
        generated_at=generated_at,
        position=position,
        counts=counts,
        money=money,
        status_colours=STATUS_COLOURS,
        ledger_columns=LEDGER_COLUMNS,
        charted=CHARTED,
        max_groups=MAX_GROUPS,
        duration=duration_text,
        rate=_rate,
    ):
        out.write(chunk)
