"""``casehistory show``, ``trail`` and ``list``: read cases from the store (``list`` from
the catalog)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any
from uuid import UUID

import click
from rich import box
from rich.table import Table

from casehistory.catalog import MAX_LIMIT, CaseRow
from casehistory.catalog._query import ORDERS, Filters, decode_cursor, where
from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli._listing import FOLD, Lister, Listing, row_as_dict
from casehistory.cli._output import cell, console, print_json, say
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Channel, EscalationTarget, Fault
from casehistory.errors import InvalidInput
from casehistory.views import trail_as_dicts, view_as_dict


def _case_id(_: click.Context, __: click.Parameter, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a case id (a UUID such as the ones `list` prints)"
        ) from None


class _Instant(click.ParamType[datetime, "str | datetime"]):
    """An ISO 8601 time with a UTC offset, or a date: the end of that day in UTC."""

    name = "TIME"

    def convert(
        self, value: str | datetime, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:  # "as of 5 March" includes all of 5 March
            return datetime.combine(day, time.max, tzinfo=UTC)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{text!r} is not an ISO 8601 time; write e.g. 2026-03-05T12:00:00+00:00",
                param,
                ctx,
            )
        if moment.utcoffset() is None:
            self.fail(
                f"{text!r} has no UTC offset; add one, e.g. {text}+00:00 or {text}Z", param, ctx
            )
        return moment


def _when(moment: datetime | None, kind: str, then: str, always: str) -> str:
    if moment is None:
        return f"now ({kind}: {always})"
    return f"{moment.isoformat()} ({kind}: {then})"


def _moment(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "- (no contact has reached the customer yet)"


@main.command(epilog="Example: casehistory show 0b6f1c1e-3c2a-4a57-9d0e-0b5b0c9b8c11 --json")
@click.argument("case_id", metavar="CASE", callback=_case_id)
@click.option(
    "--as-of",
    type=_Instant(),
    help="Business time: the case as it stood then (events that occurred by then).",
)
@click.option(
    "--known-at",
    type=_Instant(),
    help="Store time: as the store knew it then (events recorded by then).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the view as one JSON object.")
@db_option
def show(
    case_id: UUID, as_of: datetime | None, known_at: datetime | None, as_json: bool, db: str
) -> None:
    """Show a case: status, fault, ledger per currency, open holds, escalations and RMAs.

    With --as-of and --known-at, the case as it stood at a business time, as far as the
    store knew at a store time (each optional, both inclusive): an event entered late
    shows in an --as-of answer only with a --known-at after it was recorded. TIME is
    ISO 8601 with a UTC offset (2026-03-05T12:00:00+00:00, or Z for UTC); a date alone
    (2026-03-05) means the end of that day in UTC. For example: --as-of 2026-03-05
    --known-at 2026-03-09T08:00:00+00:00.
    """
    with open_desk(db) as desk:
        view = desk.case(case_id, as_of=as_of, known_at=known_at)
    if as_json:
        data = view_as_dict(view)
        data["as_of"] = as_of.isoformat() if as_of else None
        data["known_at"] = known_at.isoformat() if known_at else None
        print_json(data, indent=2)
        return
    say(f"case {view.case_id} (version {view.version})")
    if as_of or known_at:  # say which question this answers; the present needs no saying
        when = _when(as_of, "business time", "events that occurred by then", "every event")
        say(f"  as of      {when}")
        when = _when(known_at, "store time", "events recorded by then", "every event recorded")
        say(f"  known at   {when}")
    say(f"  customer   {view.customer.name} ({view.customer.id})")
    say(f"  subject    {view.subject}")
    say(f"  status     {view.status.name}")
    say(f"  fault      {view.fault.name}")
    say(f"  agent      {view.agent or '-'} in {view.department}")
    if view.resolution:
        say(f"  resolution {view.resolution}")
    say(f"  opened     {view.opened_at.isoformat()} ({view.channel.name})")
    say(f"  responded  {_moment(view.first_response_at)}")
    if view.resolved_at:
        say(f"  resolved   {view.resolved_at.isoformat()}")
    if view.closed_at:
        say(f"  closed     {view.closed_at.isoformat()}")
    if view.ledger.currencies:
        table = Table("currency", *LEDGER_COLUMNS, box=box.SIMPLE)
        for currency in view.ledger.currencies:
            balance = view.ledger.balance(currency)
            table.add_row(
                cell(currency),
                *(cell(f"{getattr(balance, column).amount:,.2f}") for column in LEDGER_COLUMNS),
            )
        console().print(table)
    for hold in view.open_holds:
        say(f"  open hold  {hold.reference} on {hold.account}: {hold.outstanding}")
    for e in view.escalations:
        say(f"  escalation #{e.number} to {e.to.name}: {e.outcome.name}")
    for rma in view.rmas:
        say(f"  RMA {rma.number} ({rma.disposition.name}): {rma.stage.name}")


@main.command(epilog="Example: casehistory trail 0b6f1c1e-3c2a-4a57-9d0e-0b5b0c9b8c11")
@click.argument("case_id", metavar="CASE", callback=_case_id)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
@db_option
def trail(case_id: UUID, as_json: bool, db: str) -> None:
    """Print the audit trail of a case: one line per event, with both times and the actor."""
    with open_desk(db) as desk:
        lines = desk.trail(case_id)
    if as_json:
        for row in trail_as_dicts(lines):
            print_json(row)
        return
    for line in lines:  # one event, one line: a stored newline is shown as \x0a
        say(line)


class _Since(_Instant):
    """An ISO 8601 time with a UTC offset, or a date: the start of that day in UTC (so
    ``--opened-since D --opened-until D`` is all of day D)."""

    def convert(
        self, value: str | datetime, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, str):
            try:
                return datetime.combine(date.fromisoformat(value.strip()), time.min, tzinfo=UTC)
            except ValueError:
                pass
        return super().convert(value, param, ctx)


def _names(kind: type[Enum]) -> click.Choice[str]:
    return click.Choice([member.name for member in kind], case_sensitive=False)


_TARGETS = [target.name for target in EscalationTarget]


@main.command(
    name="list",
    epilog="Example: casehistory list --status OPEN --limit 20 --db cases.sqlite",
)
@click.option("--status", multiple=True, type=_names(Status), help="Status (repeatable).")
@click.option("--fault", multiple=True, type=_names(Fault), help="Fault (repeatable).")
@click.option("--channel", multiple=True, type=_names(Channel), help="Channel (repeatable).")
@click.option("--customer", metavar="ID", help="The customer's id.")
@click.option("--agent", metavar="ID", help="The assigned agent's id.")
@click.option("--department", metavar="NAME", help="The department that holds the case.")
@click.option("--opened-since", type=_Since(), help="Opened at or after (a date: from its start).")
@click.option("--opened-until", type=_Instant(), help="Opened at or before (a date: to its end).")
@click.option("--closed-since", type=_Since(), help="Closed at or after.")
@click.option("--closed-until", type=_Instant(), help="Closed at or before.")
@click.option("--idle-since", type=_Instant(), help="No activity after this time.")
@click.option(
    "--awaiting",
    type=click.Choice(["customer", "return"], case_sensitive=False),
    help="Waiting on the customer (AWAITING_CUSTOMER) or a return (AWAITING_RETURN).",
)
@click.option(
    "--pending-approval",
    type=click.Choice(["any", "none", *_TARGETS], case_sensitive=False),
    is_flag=False,
    flag_value="any",
    metavar="[TARGET]",
    help=f"An escalation awaits approval (of TARGET: {', '.join(_TARGETS)}); 'none': no "
    "escalation awaits.",
)
@click.option("--open-holds/--no-open-holds", default=None, help="A hold is (or none is) open.")
@click.option("--text", metavar="WORDS", help="Words of the subject or the customer's name.")
@click.option(
    "--sla-breached/--sla-kept",
    default=None,
    help="A first-response or resolution clock is breached now (or neither is).",
)
@click.option("--due-before", type=_Instant(), help="A running SLA clock is due by TIME.")
@click.option(
    "--order",
    type=click.Choice(list(ORDERS)),
    default="opened",
    show_default=True,
    help="By opening time: oldest first, or newest first (-opened).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    metavar="N",
    help="One page of N cases (default: every case, in pages of the catalog).",
)
@click.option("--after", metavar="CURSOR", help="The page after the cursor a page printed.")
@click.option(
    "--fold",
    type=click.IntRange(min=0),
    default=FOLD,
    show_default=True,
    metavar="N",
    help="Fold at most N events past the catalog's position in memory (0: answer from "
    "the catalog alone, which may be behind).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object: rows, cursor, behind."
)
@db_option
def list_cases(**options: Any) -> None:
    """List the cases from the catalog, oldest first (by the business time each was
    opened), with their status and fault; every filter given must hold.

    TIME is ISO 8601 with a UTC offset, or a date (as `show --as-of` reads it). The
    store is opened read-only: where its catalog is behind the log (no follower, or none
    yet), the events past it are folded in memory for this answer (up to --fold), and a
    note on stderr says how far behind the catalog is. With --limit, one page is printed
    and stderr gives its cursor; --after CURSOR prints the next. See docs/catalog.md.
    """
    filters = _filters(options)
    order, limit, after = options["order"], options["limit"], options["after"]
    try:
        where(Filters(**filters, now=datetime.now(UTC)), True)
    except InvalidInput as error:
        raise click.UsageError(str(error)) from None
    if after is not None:
        try:
            decode_cursor(after, order)
        except InvalidInput:
            raise click.BadParameter(
                f"{after[:40]!r} is not a cursor of this listing: pass the one a page of "
                "`list` printed, with the same --order",
                param_hint="'--after'",
            ) from None
    with open_desk(options["db"]) as desk:
        lister = Lister(desk, fold=options["fold"])
        try:
            if limit is None:  # every case: pages of the catalog, one after the other
                listing = lister.page(filters, order=order, limit=MAX_LIMIT, after=after)
                rows = list(listing.rows)
                while listing.cursor is not None:
                    listing = lister.page(
                        filters, order=order, limit=MAX_LIMIT, after=listing.cursor
                    )
                    rows.extend(listing.rows)
            else:
                listing = lister.page(filters, order=order, limit=limit, after=after)
                rows = list(listing.rows)
        finally:
            lister.close()
    stored = listing.stored
    if options["as_json"]:
        _print_page(listing, rows)
    else:
        table = Table("case", "status", "fault", "customer", "subject", "events", box=box.SIMPLE)
        for row in rows:
            table.add_row(
                cell(row.case_id),
                cell(row.status),
                cell(row.fault),
                cell(row.customer_name),
                cell(row.subject),
                cell(row.version),
            )
        console().print(table)
        if listing.folded:
            say(_folded(listing), err=True)
        if listing.cursor is not None:
            say(f"next page: --after {listing.cursor}", err=True)
    if listing.behind:
        say(
            f"note: the catalog is {listing.behind} behind the log (position "
            f"{stored.position}, head {stored.head}) and this answer does not count those "
            "events: run `casehistory catalog follow` or `rebuild` with a login that may "
            "write, or raise --fold",
            err=True,
        )


def _print_page(listing: Listing, rows: list[CaseRow]) -> None:
    """One JSON object, its rows one per line (ASCII: every other character escaped)."""
    data = {
        "cursor": listing.cursor,
        "behind": listing.behind,
        "position": listing.stored.position,
        "head": listing.stored.head,
        "folded": listing.folded,
    }
    lines = [json.dumps(row_as_dict(row), ensure_ascii=True) for row in rows]
    body = "\n" + ",\n".join(lines) + "\n" if lines else ""
    click.echo(json.dumps(data, ensure_ascii=True)[:-1] + ', "rows": [' + body + "]}")


def _folded(listing: Listing) -> str:
    stored = listing.stored
    if not stored.exists:
        return (
            f"note: this store has no catalog yet: this answer folded its {listing.folded} "
            "events in memory (`casehistory catalog rebuild` makes the catalog, `casehistory "
            "catalog follow` keeps it up to date)"
        )
    return (
        f"note: the catalog is {stored.behind} behind the log (position {stored.position}, "
        f"head {stored.head}): this answer folded those events in memory (`casehistory "
        "catalog follow` keeps it up to date)"
    )


def _filters(options: dict[str, Any]) -> dict[str, Any]:
    """The catalog's filters from the options given (None: not asked)."""
    pending = options["pending_approval"]
    return {
        "status": [Status[n.upper()] for n in options["status"]] or None,
        "fault": [Fault[n.upper()] for n in options["fault"]] or None,
        "channel": [Channel[n.upper()] for n in options["channel"]] or None,
        "customer": options["customer"],
        "agent": options["agent"],
        "department": options["department"],
        "opened": _span(options["opened_since"], options["opened_until"]),
        "closed": _span(options["closed_since"], options["closed_until"]),
        "idle_since": options["idle_since"],
        "awaiting": options["awaiting"].lower() if options["awaiting"] else None,
        "pending_approval": (
            None
            if pending is None
            else True
            if pending.lower() == "any"
            else False
            if pending.lower() == "none"
            else EscalationTarget[pending.upper()]
        ),
        "open_holds": options["open_holds"],
        "text": options["text"],
        "sla_breached": options["sla_breached"],
        "due_before": options["due_before"],
    }


def _span(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None] | None:
    return None if since is None and until is None else (since, until)
