"""``casehistory show``, ``trail`` and ``list``: read cases from the store."""

from __future__ import annotations

import json
from uuid import UUID

import click
from rich import box
from rich.table import Table

from casehistory.cli._app import console, db_option, main, open_desk
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.views import trail_as_dicts, view_as_dict


def _case_id(_: click.Context, __: click.Parameter, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a case id (a UUID such as the ones `list` prints)"
        ) from None


@main.command(epilog="Example: casehistory show 0b6f1c1e-3c2a-4a57-9d0e-0b5b0c9b8c11 --json")
@click.argument("case_id", metavar="CASE", callback=_case_id)
@click.option("--json", "as_json", is_flag=True, help="Print the view as one JSON object.")
@db_option
def show(case_id: UUID, as_json: bool, db: str) -> None:
    """Show a case: status, fault, ledger per currency, open holds, escalations and RMAs."""
    with open_desk(db) as desk:
        view = desk.case(case_id)
    if as_json:
        click.echo(json.dumps(view_as_dict(view), indent=2))
        return
    out = console()
    out.print(f"case {view.case_id} (version {view.version})")
    out.print(f"  customer   {view.customer.name} ({view.customer.id})")
    out.print(f"  subject    {view.subject}")
    out.print(f"  status     {view.status.name}")
    out.print(f"  fault      {view.fault.name}")
    out.print(f"  agent      {view.agent or '-'} in {view.department}")
    if view.resolution:
        out.print(f"  resolution {view.resolution}")
    if view.ledger.currencies:
        table = Table("currency", *LEDGER_COLUMNS, box=box.SIMPLE)
        for currency in view.ledger.currencies:
            balance = view.ledger.balance(currency)
            table.add_row(
                currency, *(f"{getattr(balance, column):,.2f}" for column in LEDGER_COLUMNS)
            )
        out.print(table)
    for hold in view.open_holds:
        out.print(f"  open hold  {hold.reference} on {hold.account}: {hold.outstanding}")
    for e in view.escalations:
        out.print(f"  escalation #{e.number} to {e.to.name}: {e.outcome.name}")
    for rma in view.rmas:
        out.print(f"  RMA {rma.number} ({rma.disposition.name}): {rma.stage.name}")


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
            click.echo(json.dumps(row))
        return
    for line in lines:
        click.echo(str(line))


@main.command(name="list", epilog="Example: casehistory list --db cases.sqlite")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per case.")
@db_option
def list_cases(as_json: bool, db: str) -> None:
    """List every case in the store, oldest first, with its status and fault."""
    with open_desk(db) as desk:
        views = [desk.case(case_id) for case_id in desk.case_ids()]
    if as_json:
        for view in views:
            click.echo(
                json.dumps(
                    {
                        "case_id": str(view.case_id),
                        "status": view.status.name,
                        "fault": view.fault.name,
                        "customer": view.customer.name,
                        "subject": view.subject,
                        "events": view.version,
                    }
                )
            )
        return
    table = Table("case", "status", "fault", "customer", "subject", "events", box=box.SIMPLE)
    for view in views:
        table.add_row(
            str(view.case_id),
            view.status.name,
            view.fault.name,
            view.customer.name,
            view.subject,
            str(view.version),
        )
    console().print(table)
