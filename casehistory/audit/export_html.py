"""HTML export: one self-contained page for people, on screen and on paper.

The page opens with a table of the exported cases, then gives each case a section:
its summary (customer, subject, product, status, fault, agent, opened, resolution,
open holds, escalations, RMAs, policy decisions), a status timeline and the money
ledger as inline SVG charts, the ledger as a table, and the full audit trail (every
event with its version, both times, actor, description, money, the status after it
and its digest). Printed, each case starts on a new page.

Self-contained: the CSS is inline, there is no script, and nothing refers to anything
outside the file (no fonts, images or style sheets to fetch), so the page reads the
same offline, years later. Every text comes from :mod:`jinja2` with autoescaping on:
a note that says ``<script>`` shows those characters and never runs. The output is
a function of the store and the arguments only (the generation time is passed in),
so exporting the same cases twice gives the same bytes.

Each case is read twice, one case at a time: first its view, for the table at the
top, then its events, for its section, cut at the version the table showed, so a
case that grows during the export still reads the same in both places.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO
from uuid import UUID

import attrs
import jinja2

from casehistory.audit._erasure import forgotten_events
from casehistory.audit._export_steps import steps
from casehistory.audit._svg import (
    STATUS_COLOURS,
    LedgerChart,
    Timeline,
    TimelineEvent,
    amount_text,
    ledger_chart,
    timeline,
)
from casehistory.domain.ledger import LEDGER_COLUMNS, Balance
from casehistory.domain.values import Actor, Money, require_aware, require_text
from casehistory.views.case import CaseView

__all__ = ["DEFAULT_TITLE", "write_html"]

DEFAULT_TITLE = "Case history export"
"""The page's title when none is given."""

_DIGEST_SHOWN = 12  # hex digits shown in the trail; the full digest is in the tooltip


def _when(moment: datetime) -> str:
    """2026-06-03 14:20:00 UTC, or the offset when it is not UTC (+02:00)."""
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    return f"{moment.strftime('%Y-%m-%d %H:%M:%S')} {zone}"


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _clock(moment: datetime) -> str:
    return _when(moment).partition(" ")[2]


def _money(value: Money) -> str:
    return f"{amount_text(value.amount)} {value.currency}"


def _number(value: float) -> str:
    """An SVG coordinate: 150, 150.5 (never 150.0)."""
    return f"{value:.1f}".removesuffix(".0")


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("casehistory.audit", "templates"),
        autoescape=True,  # every template, whatever its name: customer text is never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        when=_when, day=_day, clock=_clock, money=_money, amount=amount_text, num=_number
    )
    return environment


@attrs.frozen
class _Entry:
    """A case as the table at the top of the page lists it."""

    case_id: UUID
    version: int
    customer: str
    subject: str
    status: str
    fault: str
    forgotten: bool
    """Whether the case's customer was forgotten: its personal texts read [erased]."""


@attrs.frozen
class _Row:
    """One line of a case's audit trail."""

    version: int
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    what: str
    money_label: str
    money: Money | None
    status: str
    changed: bool
    digest: str


@attrs.frozen
class _Section:
    """Everything a case's section shows."""

    entry: _Entry
    view: CaseView
    timeline: Timeline
    balances: tuple[tuple[Balance, LedgerChart], ...]
    rows: tuple[_Row, ...]


def _entry(desk: Any, case_id: UUID) -> _Entry:
    view: CaseView = desk.case(case_id)
    return _Entry(
        case_id=case_id,
        version=view.version,
        customer=str(view.customer.name),
        subject=view.subject,
        status=view.status.name,
        fault=view.fault.name,
        # The view's own events (read from the store when it came from a snapshot).
        forgotten=forgotten_events(view.events),
    )


def _section(desk: Any, entry: _Entry) -> _Section:
    events = desk.history(entry.case_id)[: entry.version]
    rows: list[_Row] = []
    marks: list[TimelineEvent] = []
    state = None
    for step in steps(events):
        line, status, state = step.line, step.after.status.name, step.after
        rows.append(
            _Row(
                version=line.version,
                event_type=line.event_type,
                occurred_at=line.occurred_at,
                recorded_at=line.recorded_at,
                actor=line.actor,
                what=line.what,
                money_label=step.money_label,  # set above the amount on the page
                money=step.money,
                status=status,
                changed=not rows or rows[-1].status != status,
                digest=step.event.digest,
            )
        )
        marks.append(
            TimelineEvent(
                line.version, line.event_type, line.occurred_at, status, step.money is not None
            )
        )
    assert state is not None  # a case has at least its CaseOpened
    view = CaseView.of(state, events)
    balances = tuple(
        (balance, ledger_chart(balance))
        for _, balance in sorted(state.ledger.balances.items())  # the charts draw amounts
        if any(getattr(balance, column) != Decimal(0) for column in LEDGER_COLUMNS)
    )
    return _Section(entry, view, timeline(marks), balances, tuple(rows))


def _sections(desk: Any, entries: list[_Entry]) -> Iterator[_Section]:
    for entry in entries:
        yield _section(desk, entry)


def write_html(
    desk: Any,
    case_ids: Iterable[UUID],
    out: TextIO,
    *,
    generated_at: datetime,
    title: str = DEFAULT_TITLE,
    unverified: bool = False,
) -> None:
    """Write one self-contained HTML page showing ``case_ids``, in that order.

    ``generated_at`` (timezone-aware) is printed as the page's generation time: pass
    the clock's reading, so that the same export gives the same bytes. Cases are
    rendered and written one at a time. ``unverified`` puts a banner at the top of the
    page (and in its title) saying the store failed verification when it was exported.

    Personal texts show as the desk shows them: the text while its customer's key
    exists, ``[erased]`` once the customer was forgotten. A note at the top says how
    many cases are of forgotten customers, and that the page holds the others' texts
    (personal data); each such case is marked in the table and in its section.
    """
    generated_at = require_aware(generated_at, "generated_at")
    title = require_text(title, "title")
    entries = [_entry(desk, case_id) for case_id in case_ids]
    template = _environment().get_template("page.html.j2")
    stream = template.generate(
        title=("UNVERIFIED: " + title) if unverified else title,
        unverified=unverified,
        generated_at=generated_at,
        entries=entries,
        forgotten=sum(entry.forgotten for entry in entries),
        events=sum(entry.version for entry in entries),
        sections=_sections(desk, entries),
        status_colours=STATUS_COLOURS,
        ledger_columns=LEDGER_COLUMNS,
        digest_shown=_DIGEST_SHOWN,
    )
    for chunk in stream:
        out.write(chunk)
