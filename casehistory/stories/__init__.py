"""The five acceptance stories of casehistory, as runnable narratives.

Each story is a module that reads like the story in the domain guide: a comment for
every step, then the one command that records it. ``tell(desk)`` records the whole
story on ``desk`` and returns the new case's id. Business times are fixed dates in
2025 and 2026, so a story told twice tells the same history (in a new case); the
store times come from the desk's clock.

>>> from datetime import UTC, datetime
>>> from casehistory import CaseDesk, SteppingClock
>>> desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
>>> [(story.number, story.slug) for story in STORIES[:2]]
[(1, 'past-the-window'), (2, 'bust-hard-drive')]
>>> desk.case(STORIES[0].tell(desk)).status.name
'CLOSED'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from uuid import UUID

import attrs

from casehistory.desk import CaseDesk
from casehistory.views import case_view, trail

__all__ = ["STORIES", "Story", "main", "report"]


@attrs.frozen
class Story:
    """One acceptance story: its number and title in the domain guide, and how to tell it."""

    number: int
    slug: str
    title: str

    @property
    def module(self) -> str:
        """The module that tells it (``casehistory.stories.past_the_window``, ...)."""
        return f"{__name__}.{self.slug.replace('-', '_')}"

    @property
    def heading(self) -> str:
        """``Story 1: Past the window``."""
        return f"Story {self.number}: {self.title}"

    def tell(self, desk: CaseDesk) -> UUID:
        """Record the story on ``desk`` as a new case; return its id."""
        # Imported when told, not with the package: each module also runs on its own
        # (python -m casehistory.stories.NAME), which a module imported already spoils.
        told: Callable[[CaseDesk], UUID] = importlib.import_module(self.module).tell
        return told(desk)


STORIES: tuple[Story, ...] = (
    Story(1, "past-the-window", "Past the window"),
    Story(2, "bust-hard-drive", "The bust hard drive"),
    Story(3, "bait-and-switch", "Bait and switch"),
    Story(4, "six-thousand-hold", "The $6,000 hold"),
    Story(5, "rocks-in-the-box", "Rocks in the box"),
)
"""The stories in the order of the domain guide, numbered 1 to 5."""


def main(slug: str, argv: list[str] | None = None) -> int:
    """Tell one story into a store (``argv[0]``, default a new in-memory store) and print
    its summary and trail: what ``python -m casehistory.stories.<name>`` does."""
    from datetime import UTC, datetime

    from casehistory.clock import SteppingClock

    [story] = [s for s in STORIES if s.slug == slug]
    location = (argv or [":memory:"])[0]
    with CaseDesk.open(location, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC))) as desk:
        case_id = story.tell(desk)
        print(story.heading)
        print("\n".join(report(desk, case_id)))
    return 0


def report(desk: CaseDesk, case_id: UUID) -> list[str]:
    """What is printed of a told story: its case id, summary and trail, a line each."""
    events = desk.history(case_id)  # read once, for the summary and the trail
    return [
        f"case {case_id}",
        case_view(events).summary(),
        *(f"  {line}" for line in trail(events)),
    ]
