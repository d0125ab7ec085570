"""``casehistory export``: the cases as JSON Lines, CSV or one HTML page."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

import click

from casehistory.audit.export_csv import write_csv
from casehistory.audit.export_html import write_html
from casehistory.audit.export_jsonl import write_jsonl
from casehistory.cli._app import Refused, console, db_option, main, open_desk
from casehistory.cli.audit import case_ids_argument

_FORMATS = ("jsonl", "csv", "html")


def _write(fmt: str, desk: Any, case_ids: Sequence[UUID], out: TextIO) -> None:
    if fmt == "jsonl":
        write_jsonl(desk, case_ids, out)
    elif fmt == "csv":
        write_csv(desk, case_ids, out)
    else:
        write_html(desk, case_ids, out, generated_at=desk.clock.now())


@main.command(
    epilog="Example: casehistory export --format html -o cases.html",
)
@case_ids_argument
@click.option("--format", "fmt", type=click.Choice(_FORMATS), required=True, help="What to write.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (default: standard output).",
)
@db_option
def export(case_ids: list[UUID], fmt: str, output: Path | None, db: str) -> None:
    """Export cases (all of them unless named): jsonl (one record per event, verifiable
    offline with `verify --bundle`), csv (the audit trail) or html (one printable page)."""
    with open_desk(db) as desk:
        chosen = case_ids or list(desk.case_ids())
        for case_id in chosen:
            desk._require_exists(case_id)  # refuse before writing anything
        if output is None:
            _write(fmt, desk, chosen, sys.stdout)
            return
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                _write(fmt, desk, chosen, out)
            partial.replace(output)  # never leave half an export under the real name
        except OSError as error:
            raise Refused(f"cannot write {output}: {error}") from None
        finally:
            partial.unlink(missing_ok=True)
    cases = f"{len(chosen)} case{'s' if len(chosen) != 1 else ''}"
    console().print(f"exported {cases} as {fmt} to {output}", highlight=False)
