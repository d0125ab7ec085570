"""``casehistory testcase``: print a stored case as a pytest module that rebuilds it."""

from __future__ import annotations

from uuid import UUID

import click

from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli.cases import _case_id


@main.command(epilog="Example: casehistory testcase 0b6f1c1e-3c2a-4a57-9d0e-0b5b0c9b8c11 > t.py")
@click.argument("case_id", metavar="CASE", callback=_case_id)
@db_option
def testcase(case_id: UUID, db: str) -> None:
    """Print a pytest module that rebuilds CASE on an in-memory desk and checks it.

    One desk call per recorded event, with its arguments, actor and business time (the
    case keeps its id; each case it links to is opened with its own opening and id),
    texts as the desk shows them ([erased] where the customer was forgotten), then
    assertions of the view's fields that do not depend on store times or digests and of
    the trail's lines, as the stored case answers them. The store is only read.
    """
    # Its own module: casehistory.testing's names import Hypothesis (the testing extra).
    from casehistory.testing._from_case import testcase_source

    with open_desk(db) as desk:
        text = testcase_source(desk, case_id)
    click.echo(text, nl=False)
