"""A checkpoint is dated after everything it pins: a desk whose clock is behind the
store (or behind the previous checkpoint) makes none, instead of one whose own events
would all look "recorded after the checkpoint"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casehistory import CaseDesk, FixedClock, SteppingClock, StoreTimeWentBackwards
from casehistory.audit.store_checks import check_store, make_checkpoint
from casehistory.stories import STORIES

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(NOW))
    STORIES[0].tell(desk)
    desk.close()
    return path


def test_a_clock_behind_the_store_makes_no_checkpoint(store: Path) -> None:
    behind = CaseDesk.open(store, clock=FixedClock(NOW))

    with pytest.raises(StoreTimeWentBackwards, match="earlier than the latest event"):
        make_checkpoint(behind)


def test_a_clock_behind_the_previous_checkpoint_makes_no_checkpoint(store: Path) -> None:
    ahead = CaseDesk.open(store, clock=FixedClock(NOW + timedelta(days=2)))
    previous, _ = make_checkpoint(ahead)
    assert previous is not None
    back = CaseDesk.open(store, clock=FixedClock(NOW + timedelta(days=1)))

    with pytest.raises(StoreTimeWentBackwards, match="earlier than the previous checkpoint"):
        make_checkpoint(back, previous=previous)


def test_a_checkpoint_made_by_a_sound_clock_holds_its_own_events(store: Path) -> None:
    desk = CaseDesk.open(store, clock=FixedClock(NOW + timedelta(days=1)))

    made, _ = make_checkpoint(desk)

    assert made is not None
    assert check_store(desk, [made]).ok
