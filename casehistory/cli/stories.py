"""``casehistory stories``: record the five stories and print what the store says."""

from __future__ import annotations

from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli._output import say
from casehistory.store import describe_store
from casehistory.stories import STORIES, report


@main.command(epilog="Example: casehistory stories --db cases.sqlite")
@db_option
def stories(db: str) -> None:
    """Record the five acceptance stories as new cases and print each summary and trail.

    Running it again on the same store adds five new cases; nothing is overwritten.
    """
    with open_desk(db, writable=True) as desk:
        say(f"Recording {len(STORIES)} stories into {describe_store(db)}")
        for story in STORIES:
            case_id = story.tell(desk)
            say()
            say(story.heading, style="bold")
            for line in report(desk, case_id):
                say(line)
