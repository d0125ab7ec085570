"""The five acceptance stories of the domain guide, told into one store, each printed
as its summary and audit trail.

Run:  python examples/stories.py                 (a new in-memory store)
      python examples/stories.py cases.sqlite    (a SQLite file, created if missing)

Each story is a module of ``casehistory.stories`` that reads like the story: a comment
for every step, then the one desk command that records it. Read one beside its trail.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from casehistory import CaseDesk, SteppingClock
from casehistory.stories import STORIES


def main(location: str = ":memory:") -> None:
    # Store times come from the desk's clock; a stepping clock makes them reproducible.
    clock = SteppingClock(datetime(2026, 11, 1, tzinfo=UTC))
    with CaseDesk.open(location, clock=clock) as desk:
        for story in STORIES:
            case_id = story.tell(desk)
            view = desk.case(case_id)
            print(f"Story {story.number}: {story.title} (case {case_id})")
            print(f"  {view.summary()}")
            for line in desk.trail(case_id):
                print(f"  {line}")
            print()


if __name__ == "__main__":
    main(*sys.argv[1:2])
