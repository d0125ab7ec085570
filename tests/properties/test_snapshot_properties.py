"""Snapshots never change an answer: a case loaded from its latest snapshot plus the later
events is the case folded from all of its events."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, SteppingClock
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.desk._base import _project
from casehistory.domain.state import fold
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories

# Long enough to cross a snapshot interval, at times two.
long_histories = case_histories(
    min_commands=SNAPSHOT_INTERVAL, max_commands=2 * SNAPSHOT_INTERVAL + 10
)


@settings(  # long histories
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(long_histories, st.data())
def test_loading_from_a_snapshot_equals_folding_every_event(
    history: CaseHistory, data: st.DataObject
) -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))

    case_id = history.apply(desk)

    events = desk.history(case_id)
    version = len(events)
    assert version >= SNAPSHOT_INTERVAL
    snapshots = [s.originator_version for s in desk._store.snapshots.get(case_id)]
    assert snapshots == list(range(SNAPSHOT_INTERVAL, version + 1, SNAPSHOT_INTERVAL))

    loaded = desk._load(case_id)
    replayed = _project(None, events)  # every event, no snapshot
    assert loaded.state == fold(events) == replayed.state
    assert loaded.version == replayed.version == version
    assert loaded.created_on == replayed.created_on
    assert loaded.modified_on == replayed.modified_on == events[-1].timestamp
    assert desk.case(case_id).status is history.model.status

    # As of any version, from the nearest snapshot at or below it.
    at = data.draw(st.integers(1, version), label="version")
    assert desk._store.repository.get(case_id, version=at).state == fold(events[:at])
