"""CSV export: the audit trail of cases, a row per event, for spreadsheets.

One header row (:data:`CSV_COLUMNS`), then each case's events from version 1 in version
order, the cases one after the other. The dialect is :class:`CsvDialect`: RFC 4180
(comma-separated, ``"``-quoted where needed, doubled ``""`` inside, CRLF line ends),
to be written and read as UTF-8 with ``newline=""`` (as :mod:`csv` requires).

Text typed by customers and agents (subjects, notes, contact summaries) ends up in the
``what`` column, and a spreadsheet runs a cell that starts with ``=`` as a formula
(``=HYPERLINK(...)``, ``=cmd|...``). So every text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which spreadsheets
read as "this is text" and do not show (OWASP's advice for CSV injection). The
``version`` and ``amount`` cells are numbers written by casehistory and stay as they are.

Personal texts in ``what`` read as the desk shows them: the text while the customer's
key exists, ``[erased]`` once they were forgotten; ``customer_forgotten`` says on each
row whether the case's customer was forgotten when the export was made.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO
from uuid import UUID

from casehistory.audit._erasure import forgotten_events
from casehistory.audit._export_steps import Step, steps
from casehistory.domain.chain import plain

__all__ = ["CSV_COLUMNS", "UNVERIFIED_COLUMN", "CsvDialect", "neutralise", "write_csv"]

CSV_COLUMNS = (
    "case_id",
    "version",
    "type",
    "occurred_at",
    "recorded_at",
    "actor",
    "actor_role",
    "what",
    "amount",
    "currency",
    "status_after",
    "digest",
    "customer_forgotten",
)
"""The header row: the columns of every row, in order."""

UNVERIFIED_COLUMN = "unverified"
"""The last column of an export of a store that failed verification: ``true`` on every row."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvDialect(csv.Dialect):
    """RFC 4180: comma, double quotes only where needed, CRLF between rows."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    escapechar = None
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    skipinitialspace = False
    strict = True


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it: an apostrophe first when
    it starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(step: Step, forgotten: bool) -> list[Any]:
    event, line, money = step.event, step.line, step.money
    row: list[Any] = [
        str(event.originator_id),
        line.version,
        line.event_type,
        plain(line.occurred_at),
        plain(line.recorded_at),
        line.actor.id,
        line.actor.role.name,
        line.what,
        "" if money is None else money.amount,
        "" if money is None else money.currency,
        step.after.status.name,
        event.digest,
        "true" if forgotten else "false",
    ]
    return [neutralise(cell) if isinstance(cell, str) else cell for cell in row]


def write_csv(desk: Any, case_ids: Iterable[UUID], out: TextIO, *, unverified: bool = False) -> int:
    """Write the header and a row per event of ``case_ids``, reading one case at a time;
    return the rows written (the header not counted).

    ``out`` is a text stream; open a file for it with ``encoding="utf-8", newline=""``.
    ``unverified`` adds a last column, :data:`UNVERIFIED_COLUMN`, that is ``true`` on
    every row: the store failed verification and was exported anyway.
    """
    writer = csv.writer(out, dialect=CsvDialect)
    mark = [UNVERIFIED_COLUMN] if unverified else []
    writer.writerow([*CSV_COLUMNS, *mark])
    rows = 0
    for case_id in case_ids:
        events = desk.history(case_id)
        forgotten = forgotten_events(events)
        for step in steps(events):
            writer.writerow([*_row(step, forgotten), *(["true"] if unverified else [])])
            rows += 1
    return rows
