"""Rows changed with SQL that reached a Python error instead of the store's own
(found by a review while speeding up as-of reads): each must be StoreUnavailable (or a
snapshot ignored and reported), naming the case, never AttributeError, RuntimeError or
TypeError."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from casehistory import CaseDesk, SnapshotIgnored, StoreUnavailable
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem
from casehistory.desk import SNAPSHOT_INTERVAL

from .test_snapshot_tampering import MONDAY, long_case


def test_a_snapshot_that_is_json_but_no_snapshot_is_ignored_and_found(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    case_id = long_case(open_desk())
    honest = open_desk().case(case_id)
    [(state,)] = raw_sql.run(
        "SELECT state FROM {snapshots} WHERE originator_id = ? AND originator_version = ?",
        case_id,
        SNAPSHOT_INTERVAL,
    )
    forged = b'{"forged": true, "topic": "casehistory.domain.case:Case"}'
    raw_sql.run(
        "UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        forged,
        case_id,
        SNAPSHOT_INTERVAL,
    )
    desk = open_desk()
    with pytest.warns(SnapshotIgnored):
        assert desk.case(case_id) == honest
    assert Problem.SNAPSHOT in {f.problem for f in scan_log(desk).findings}
    assert bytes(state) != forged


def test_an_event_deleted_before_a_view_reads_its_events_is_store_unavailable(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    case_id = long_case(open_desk())
    desk = open_desk()
    view = desk.case(case_id)  # from the snapshot at 50: its events are read on use
    raw_sql.run("DELETE FROM {events} WHERE originator_id = ? AND originator_version = 7", case_id)
    with pytest.raises(StoreUnavailable, match=str(case_id)):
        list(view.events)


def test_a_stored_time_without_its_offset_is_store_unavailable(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    case_id = long_case(open_desk())
    [(state,)] = raw_sql.run(
        "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 55",
        case_id,
    )
    naive = bytes(state).replace(b'+00:00"}', b'"}')
    assert naive != bytes(state)
    raw_sql.run(
        "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 55",
        naive,
        case_id,
    )
    desk = open_desk()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapshotIgnored)
        with pytest.raises(StoreUnavailable, match=str(case_id)):
            desk.case(case_id, as_of=MONDAY.replace(hour=20))
