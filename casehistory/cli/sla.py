"""``casehistory sla``: a case's SLA clocks, as of now or of a business time."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import click

from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli._output import print_json, say
from casehistory.cli.cases import _case_id, _Instant
from casehistory.domain.sla import SlaClock


def _duration(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    minutes = round(abs(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours}h{minutes:02d}"


def _line(name: str, clock: SlaClock) -> str:
    if clock.met_at is not None:
        state = f"met at {clock.met_at.isoformat()}"
    elif clock.paused:
        state = "paused (awaiting the customer, or resolved)"
    else:
        state = "running"
    verdict = "BREACHED" if clock.breached else "within target"
    return (
        f"  {name:<15} {verdict:<13} due {clock.due_at.isoformat()}; {state}; "
        f"target {_duration(clock.target.total_seconds())}, elapsed "
        f"{_duration(clock.elapsed.total_seconds())}, paused "
        f"{_duration(clock.paused_for.total_seconds())}"
    )


@main.command(epilog="Example: casehistory sla 0b6f1c1e-3c2a-4a57-9d0e-0b5b0c9b8c11 --json")
@click.argument("case_id", metavar="CASE", callback=_case_id)
@click.option(
    "--as-of",
    type=_Instant(),
    help="Business time to answer for (default: now); only what occurred by then counts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the clocks as one JSON object.")
@db_option
def sla(case_id: UUID, as_of: datetime | None, as_json: bool, db: str) -> None:
    """Show a case's first-response and resolution clocks: due time, met time,
    breached or not, time paused, under the SLA policy the case opened with.

    Business time counts only while the desk is open (its calendar), and not while the
    case awaits the customer or stands resolved (docs/sla.md). A desk that does not
    know the case's policy says so (exit 1)."""
    with open_desk(db) as desk:
        clocks = desk.sla(case_id, as_of=as_of)
    if as_json:
        print_json({"case_id": str(case_id), **clocks.as_json()}, indent=2)
        return
    terms = clocks.terms
    say(f"case {case_id} as of {clocks.as_of.isoformat()}")
    say(f"  policy          {terms.policy_id} v{terms.version} ({terms.digest[:12]}...)")
    say(_line("first response", clocks.first_response))
    say(_line("resolution", clocks.resolution))
