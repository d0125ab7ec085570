"""What the auditor's verbs (``verify``, ``checkpoint``, ``export``) share: case ids,
progress on a terminal, and findings printed as a table or as JSON.

Those verbs read the store and never write to it, so they run under any actor's name,
an auditor's included.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import click
from rich import box
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from casehistory.audit.verify import Verification
from casehistory.cli._output import cell, console, say

__all__ = ["as_json", "case_ids_argument", "log_progress", "report"]


def _case_ids(_: click.Context, __: click.Parameter, values: Sequence[str]) -> list[UUID]:
    ids = []
    for value in values:
        try:
            ids.append(UUID(value))
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not a case id (a UUID such as the ones `list` prints)"
            ) from None
    return ids


def case_ids_argument(func: Any) -> Any:
    """``CASE...``: any number of case ids (none: every case in the store)."""
    return click.argument("case_ids", metavar="[CASE]...", nargs=-1, callback=_case_ids)(func)


@contextmanager
def log_progress(what: str) -> Iterator[Callable[[int], None] | None]:
    """A spinner counting events on a terminal; nothing when the output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=console(stderr=True)) as progress:
        task = progress.add_task(what, total=None)
        yield lambda events: progress.update(task, description=f"{what}: {events:,} events")


def report(verification: Verification, what: str) -> None:
    """Print the findings as a table and one summary line."""
    counted = f"{verification.cases} cases, {verification.events} events"
    if verification.ok:
        say(f"{what}: {counted}: every chain holds")
        return
    table = Table("case", "version", "problem", "what is wrong", box=box.SIMPLE)
    for finding in verification.findings:
        table.add_row(
            cell(finding.case_id or "-"),
            cell(finding.version or "-"),
            cell(finding.problem.value),
            cell(finding.detail),  # may quote a stored row
        )
    console().print(table)
    found = len(verification.findings)
    say(f"{what}: {counted}: {found} finding{'s' if found > 1 else ''}")


def as_json(verification: Verification, **more: Any) -> dict[str, Any]:
    """The outcome for programs (print it with :func:`casehistory.cli._output.print_json`)."""
    return {
        "ok": verification.ok and all(c["ok"] for c in more.get("checkpoints", [])),
        "cases": verification.cases,
        "events": verification.events,
        "findings": [
            {
                "case_id": str(f.case_id) if f.case_id else None,
                "version": f.version,
                "problem": f.problem.value,
                "detail": f.detail,
            }
            for f in verification.findings
        ],
        **more,
    }
