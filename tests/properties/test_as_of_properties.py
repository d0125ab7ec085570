"""Properties of the bi-temporal queries, over every valid history casehistory.testing draws.

The definition they check: ``desk.case(id, as_of=T, known_at=R)`` is the fold, in
version order, of the events recorded at or before R that occurred at or before T;
CaseNotFound when that leaves out the opening. Whatever snapshots a desk keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, CaseEvent, CaseNotFound, SteppingClock
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.domain.case import Case
from casehistory.domain.state import fold
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories
from casehistory.views import CaseView, case_view

ONE_SECOND = timedelta(seconds=1)

# Each example records a whole history first: its time depends on the machine's load,
# and a deadline would make the properties flaky, not stricter.
whole_histories = settings(deadline=None)


def new_desk(snapshot_every: int | None = SNAPSHOT_INTERVAL) -> CaseDesk:
    """A desk snapshotting every ``snapshot_every`` events (None: never)."""

    class Desk(CaseDesk):
        snapshotting_intervals: ClassVar[dict[Any, int]] = (
            {} if snapshot_every is None else {Case: snapshot_every}
        )

    return Desk.open(":memory:", clock=SteppingClock(CLOCK_START))


def near(times: Sequence[datetime]) -> st.SearchStrategy[datetime]:
    """One of ``times``, or a second before or after one: the edges of every answer."""
    return st.builds(
        lambda at, shift: at + shift * ONE_SECOND, st.sampled_from(times), st.integers(-1, 1)
    )


def expected(
    events: Sequence[CaseEvent], as_of: datetime | None, known_at: datetime | None
) -> CaseView | None:
    """The definition: None where the case did not exist yet."""
    chosen = tuple(
        e
        for e in events
        if (known_at is None or e.timestamp <= known_at)
        and (as_of is None or e.occurred_at <= as_of)
    )
    if not chosen or chosen[0].originator_version != 1:
        return None
    return case_view(chosen)


def answer(
    desk: CaseDesk, case_id: UUID, as_of: datetime | None, known_at: datetime | None
) -> CaseView | None:
    try:
        return desk.case(case_id, as_of=as_of, known_at=known_at)
    except CaseNotFound:
        return None


@whole_histories
@given(case_histories(), st.data())
def test_known_at_answers_the_fold_of_the_events_recorded_by_then(
    history: CaseHistory, data: st.DataObject
) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    events = desk.history(case_id)

    known_at = data.draw(near([e.timestamp for e in events]), label="known_at")

    view = answer(desk, case_id, None, known_at)
    assert view == expected(events, None, known_at)
    if view is not None:
        assert view.events == tuple(e for e in events if e.timestamp <= known_at)


@whole_histories
@given(case_histories(), st.data())
def test_as_of_and_known_at_answer_the_filter_fold(
    history: CaseHistory, data: st.DataObject
) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    events = desk.history(case_id)

    as_of = data.draw(near([e.occurred_at for e in events]), label="as_of")
    known_at = data.draw(st.none() | near([e.timestamp for e in events]), label="known_at")

    view = answer(desk, case_id, as_of, known_at)
    want = expected(events, as_of, known_at)
    assert view == want
    if view is not None and want is not None:
        assert view.events == want.events
        assert view.last_recorded_at == want.events[-1].timestamp


@whole_histories
@given(case_histories(min_commands=2), st.data())
def test_a_late_entry_shows_only_once_known_at_reaches_its_recording(
    history: CaseHistory, data: st.DataObject
) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    events = desk.history(case_id)
    late = [
        e
        for i, e in enumerate(events)
        if i and e.occurred_at < max(earlier.occurred_at for earlier in events[:i])
    ]
    if not late:
        return
    entry = data.draw(st.sampled_from(late), label="late entry")
    as_of = max(entry.occurred_at, events[0].occurred_at)  # the case is open by then

    before = desk.case(case_id, as_of=as_of, known_at=entry.timestamp - ONE_SECOND)
    at = desk.case(case_id, as_of=as_of, known_at=entry.timestamp)

    assert entry not in before.events
    assert entry in at.events
    assert at.version == entry.originator_version


@whole_histories
@given(case_histories(min_commands=1), st.data())
def test_folding_any_selection_that_keeps_the_opening_never_raises(
    history: CaseHistory, data: st.DataObject
) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    opened, *rest = desk.history(case_id)

    kept = data.draw(st.lists(st.booleans(), min_size=len(rest), max_size=len(rest)))

    state = fold([opened, *(e for e, keep in zip(rest, kept, strict=True) if keep)])
    assert state.case_id == case_id


# Long enough to cross snapshots and the index's runs of 50, at times twice.
long_histories = case_histories(
    min_commands=SNAPSHOT_INTERVAL, max_commands=2 * SNAPSHOT_INTERVAL + 10
)


@pytest.mark.parametrize("snapshot_every", [2, 3, None])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_histories, st.data())
def test_snapshots_never_change_an_answer(
    snapshot_every: int | None, history: CaseHistory, data: st.DataObject
) -> None:
    # The same history on the usual desk (every 50) and on one snapshotting otherwise.
    desks = [new_desk(), new_desk(snapshot_every)]
    case_ids = [history.apply(desk) for desk in desks]
    histories = [desk.history(case_id) for desk, case_id in zip(desks, case_ids, strict=True)]
    events = histories[0]

    for _ in range(5):
        as_of = data.draw(st.none() | near([e.occurred_at for e in events]), label="as_of")
        known_at = data.draw(st.none() | near([e.timestamp for e in events]), label="known_at")

        views = [
            answer(desk, case_id, as_of, known_at)
            for desk, case_id in zip(desks, case_ids, strict=True)
        ]
        wanted = [expected(h, as_of, known_at) for h in histories]
        assert views == wanted
        assert [v and [e.originator_version for e in v.events] for v in views] == [
            w and [e.originator_version for e in w.events] for w in wanted
        ]
