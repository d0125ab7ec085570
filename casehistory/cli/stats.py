"""``casehistory stats``: the catalog's figures (``desk.catalog.stats``) as tables, JSON
or a self-contained HTML page.

Read-only, like ``list``: where the catalog is behind the log by at most ``--fold``
events, those events are folded in memory (:class:`casehistory.cli._listing._Overlay`)
and the answer adds up the stored catalog, less the cases they touched, and the folded
catalog, so that it counts every event."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import click
from rich import box
from rich.table import Table

from casehistory.audit.stats_html import DEFAULT_TITLE, write_stats_html
from casehistory.catalog import CatalogStatus, Stats
from casehistory.catalog._stats import PERIODS, Elapsed, SlaOutcomes, duration_text
from casehistory.catalog._stats_read import checked_filters, ledger_of, matching_ids, tally_of
from casehistory.cli._app import Refused, db_option, main, open_desk
from casehistory.cli._listing import FOLD, _Overlay
from casehistory.cli._output import cell, console, print_json, say
from casehistory.cli.cases import _Instant, _Since
from casehistory.cli.export import _write_file
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.errors import InvalidInput

__all__ = ["Answer", "answer"]

_TRIES = 3


@attrs.frozen
class Answer:
    """The stats, where the stored catalog stood, and the events folded in memory."""

    stats: Stats
    stored: CatalogStatus
    folded: int


def answer(
    desk: Any,
    period: str,
    filters: dict[str, Any],
    *,
    fold: int = FOLD,
    now: datetime | None = None,
) -> Answer:
    """The stats of the cases matching ``filters``, counting every event: the stored
    catalog's, plus the events past its position folded in memory (up to ``fold``).

    The stored catalog is read in two transactions (its tally, then the ledger of the
    cases the fold touched): if a follower moves it meanwhile, the answer is read again,
    so that no event is counted twice. SLA breaches are judged as of ``now`` (default:
    the desk clock's)."""
    catalog = desk.catalog
    chosen = checked_filters(catalog, filters, now)
    now = chosen.now
    assert now is not None
    for _ in range(_TRIES):
        stored = catalog.status()
        if not (catalog.read_only and 0 < stored.behind <= fold):
            tally, status = tally_of(catalog, chosen, period=period, now=now)
            return Answer(tally.result(now, status.behind), stored, 0)
        overlay = _Overlay(desk, stored.position)
        try:
            tally, status = tally_of(overlay, chosen, period=period, now=now, mergeable=True)
            if stored.exists:
                touched = {str(case_id) for case_id in overlay.touched()}
                base, _ = tally_of(
                    catalog, chosen, period=period, now=now, exclude=touched, mergeable=True
                )
                base.add(ledger_of(catalog, matching_ids(overlay, chosen), period=period))
                base.add(tally)
                tally = base
        finally:
            overlay.close()
        if catalog.status().position == stored.position:
            folded = status.position - stored.position
            return Answer(tally.result(now, status.behind), stored, folded)
    raise Refused(
        f"the catalog moved {_TRIES} times while stats read it (a follower or a rebuild at "
        "work): run the command again"
    )


def _times(times: Elapsed) -> str:
    if not times.count:
        return "-"
    return f"{duration_text(times.median)} / {duration_text(times.p90)} ({times.count})"


def _sla(outcomes: SlaOutcomes) -> str:
    rate = outcomes.rate
    decided = outcomes.met + outcomes.breached
    if rate is None:
        return f"- ({outcomes.unmet} unmet)" if outcomes.unmet else "-"
    return f"{rate:.0%} of {decided}" + (f" ({outcomes.unmet} unmet)" if outcomes.unmet else "")


def _counts(name: str, counts: dict[str, int]) -> None:
    shown = [f"{key} {value}" for key, value in counts.items() if value]
    say(f"{name:<11}{', '.join(shown) or '-'}")


def _print(stats: Stats) -> None:
    say(f"{stats.cases} case{'s' if stats.cases != 1 else ''}; SLA as of {stats.as_of.isoformat()}")
    _counts("status", dict(stats.by_status))
    _counts("fault", dict(stats.by_fault))
    _counts("channel", dict(stats.by_channel))
    holds = ", ".join(f"{amount:,} {currency}" for currency, amount in stats.on_hold.items())
    plural = "" if stats.open_holds == 1 else "s"
    say(f"{'on hold':<11}{holds or '-'} ({stats.open_holds} open hold{plural})")
    money = Table(stats.period, "currency", *LEDGER_COLUMNS, box=box.SIMPLE)
    for row in stats.money:
        money.add_row(
            cell(row.period),
            cell(row.currency),
            *(cell(f"{getattr(row, column):,}") for column in LEDGER_COLUMNS),
        )
    if stats.money:
        say()
        say(f"money moved per {stats.period}, by business time:")
        console().print(money)
    times = Table(
        f"opened ({stats.period})",
        "cases",
        "first response: median / p90 (n)",
        "resolution: median / p90 (n)",
        "first response breached",
        "resolution breached",
        box=box.SIMPLE,
    )
    for span in stats.times:
        times.add_row(
            cell(span.period),
            cell(span.opened),
            cell(_times(span.first_response)),
            cell(_times(span.resolution)),
            cell(_sla(span.first_response_sla)),
            cell(_sla(span.resolution_sla)),
        )
    if stats.times:
        if not stats.money:  # a table ends with a blank line of its own
            say()
        say("times from opening (wall clock), by period of opening:")
        console().print(times)


@main.command(epilog="Example: casehistory stats --period week --html stats.html --db cases.sqlite")
@click.option(
    "--period",
    type=click.Choice(PERIODS),
    default="month",
    show_default=True,
    help="Money and times per UTC month, ISO week or day.",
)
@click.option("--opened-since", type=_Since(), help="Opened at or after (a date: from its start).")
@click.option("--opened-until", type=_Instant(), help="Opened at or before (a date: to its end).")
@click.option(
    "--fold",
    type=click.IntRange(min=0),
    default=FOLD,
    show_default=True,
    metavar="N",
    help="Fold at most N events past the catalog's position in memory (0: answer from "
    "the catalog alone, which may be behind).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--html",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Also write a self-contained HTML page with charts to FILE.",
)
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="The HTML page's title.")
@db_option
def stats(
    period: str,
    opened_since: datetime | None,
    opened_until: datetime | None,
    fold: int,
    as_json: bool,
    html: Path | None,
    title: str,
    db: str,
) -> None:
    """Figures of the cases from the catalog: counts by status, fault and channel; money
    moved per period and currency (by business time); holds outstanding; times from
    opening to first response and to resolution (wall clock: median, 90th percentile)
    and SLA breach rates, per period of opening. See docs/catalog.md ("Stats").

    The store is opened read-only: where its catalog is behind the log, the events past
    it are folded in memory for this answer (up to --fold), as `list` does."""
    filters: dict[str, Any] = {}
    if opened_since is not None or opened_until is not None:
        filters["opened"] = (opened_since, opened_until)
    with open_desk(db) as desk:
        try:
            checked_filters(desk.catalog, filters, None)
        except InvalidInput as error:
            raise click.UsageError(str(error)) from None
        found = answer(desk, period, filters, fold=fold)
        generated_at = desk.clock.now()
    result, stored = found.stats, found.stored
    if html is not None:
        _write_file(
            html,
            lambda out: write_stats_html(
                result,
                out,
                generated_at=generated_at,
                title=title,
                position=stored.position + found.folded,
            ),
        )
    if as_json:
        data = result.as_json()
        data.update(position=stored.position, head=stored.head, folded=found.folded)
        print_json(data)
    else:
        _print(result)
    if found.folded:
        where = "has no catalog yet" if not stored.exists else f"catalog is {stored.behind} behind"
        say(
            f"note: this store {where}: these figures folded {found.folded} events past its "
            "position in memory (`casehistory catalog follow` keeps it up to date)",
            err=True,
        )
    if html is not None:
        cases = f"{result.cases} case{'' if result.cases == 1 else 's'}"
        say(f"wrote the stats of {cases} to {html}", err=as_json)
    if result.behind:
        say(
            f"note: the catalog is {result.behind} behind the log (position "
            f"{stored.position}, head {stored.head}) and these figures do not count those "
            "events: run `casehistory catalog follow` or `rebuild` with a login that may "
            "write, or raise --fold",
            err=True,
        )
