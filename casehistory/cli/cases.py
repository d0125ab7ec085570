"""``casehistory show``, ``trail`` and ``list``: read cases from the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID

import click
from rich import box
from rich.table import Table

from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli._output import cell, console, print_json, say
from casehistory.domain.ledger import LEDGER_COLUMNS
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
                *(cell(f"{getattr(balance, column):,.2f}") for column in LEDGER_COLUMNS),
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


@main.command(name="list", epilog="Example: casehistory list --db cases.sqlite")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per case.")
@db_option
def list_cases(as_json: bool, db: str) -> None:
    """List every case in the store, oldest first, with its status and fault."""
    with open_desk(db) as desk:
        views = [desk.case(case_id) for case_id in desk.case_ids()]
    if as_json:
        for view in views:
            print_json(
                {
                    "case_id": str(view.case_id),
                    "status": view.status.name,
                    "fault": view.fault.name,
                    "customer": view.customer.name,
                    "subject": view.subject,
                    "events": view.version,
                }
            )
        return
    table = Table("case", "status", "fault", "customer", "subject", "events", box=box.SIMPLE)
    for view in views:
        table.add_row(
            cell(view.case_id),
            cell(view.status.name),
            cell(view.fault.name),
            cell(view.customer.name),
            cell(view.subject),
            cell(view.version),
        )
    console().print(table)
