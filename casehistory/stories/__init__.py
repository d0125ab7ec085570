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

from collections.abc import Callable
from uuid import UUID

import attrs

from casehistory.desk import CaseDesk
from casehistory.stories import (
    bait_and_switch,
    bust_hard_drive,
    past_the_window,
    rocks_in_the_box,
    six_thousand_hold,
)

__all__ = ["STORIES", "Story"]


@attrs.frozen
class Story:
    """One acceptance story: its number and title in the domain guide, and how to tell it."""

    number: int
    slug: str
    title: str
    tell: Callable[[CaseDesk], UUID]


STORIES: tuple[Story, ...] = (
    Story(1, "past-the-window", "Past the window", past_the_window.tell),
    Story(2, "bust-hard-drive", "The bust hard drive", bust_hard_drive.tell),
    Story(3, "bait-and-switch", "Bait and switch", bait_and_switch.tell),
    Story(4, "six-thousand-hold", "The $6,000 hold", six_thousand_hold.tell),
    Story(5, "rocks-in-the-box", "Rocks in the box", rocks_in_the_box.tell),
)
"""The stories in the order of the domain guide, numbered 1 to 5."""
