"""The record verification reads straight from stored bytes is the record of the decoded
event, for every event a desk writes (state commitments included)."""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import given, settings

from casehistory import CaseDesk, SteppingClock
from casehistory.audit.raw import Unsupported, raw_record
from casehistory.audit.verify import log_rows
from casehistory.domain.case import Case
from casehistory.domain.chain import STATE_COMMITMENT, record_of
from casehistory.testing.strategies import CLOCK_START, CaseHistory, case_histories


class SnapshotsOften(CaseDesk):
    """Commits to the state every 3 events, so drawn histories carry commitments."""

    snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: 3}


@settings(max_examples=80, deadline=None)
@given(case_histories(min_commands=1))
def test_the_raw_record_is_the_decoded_events_record(history: CaseHistory) -> None:
    desk = SnapshotsOften.open(":memory:", clock=SteppingClock(CLOCK_START))
    history.apply(desk)
    committed = 0

    for row in log_rows(desk):
        event = desk._mapper.to_domain_event(row)
        try:
            raw = raw_record(row.topic, bytes(row.state), row.originator_id, row.originator_version)
        except Unsupported:
            # Only an event class past version 1 is read the reference way (upcast).
            assert type(event).class_version > 1
            committed += STATE_COMMITMENT in vars(event)
            continue

        assert raw.record == record_of(event)
        assert raw.digest == event.digest
        assert raw.recorded_at == event.timestamp
        committed += STATE_COMMITMENT in raw.record["payload"]
    assert committed == sum(len(desk.history(i)) // 3 for i in desk.case_ids())
