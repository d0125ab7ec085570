"""Rows changed outside the desk so that they cannot be read: every read answers with a
named error that points at `casehistory verify`, never a driver's or a decoder's."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Role,
    SteppingClock,
    StoreUnavailable,
)

AGENT = Actor("a.lee", Role.AGENT)
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _store(path: Path) -> UUID:
    with CaseDesk.open(path, clock=SteppingClock(datetime(2026, 3, 3, tzinfo=UTC))) as desk:
        case_id = desk.open_case(
            customer=Customer("c-1", "Dana"),
            subject="s",
            channel=Channel.PHONE,
            by=AGENT,
            occurred_at=WHEN,
        )
        desk.add_note(case_id, text="n", by=AGENT, occurred_at=WHEN)
    return case_id


@pytest.mark.parametrize(
    "state",
    [b"\x00\xff not json", b"[]", b'{"timestamp": 7}', b'{"text": {"_type_": "nope"}}'],
)
def test_an_undecodable_event_is_store_unavailable_naming_it(tmp_path: Path, state: bytes) -> None:
    path = tmp_path / "cases.sqlite"
    case_id = _store(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE stored_events SET state = ? WHERE originator_version = 2", (state,))

    with CaseDesk.open(path, read_only=True) as desk:
        with pytest.raises(StoreUnavailable, match=rf"version 2 of case {case_id}.*verify"):
            desk.case(case_id)
        with pytest.raises(StoreUnavailable, match=r"verify"):
            desk.history(case_id)


@pytest.mark.parametrize("originator_id", [None, "not-a-uuid", 42])
def test_a_case_id_that_is_no_uuid_is_store_unavailable(
    tmp_path: Path, originator_id: object
) -> None:
    path = tmp_path / "cases.sqlite"
    _store(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE stored_events SET originator_id = ? WHERE originator_version = 1",
            (originator_id,),
        )

    with (
        CaseDesk.open(path, read_only=True) as desk,
        pytest.raises(StoreUnavailable, match=r"cannot read the cases of the store.*verify"),
    ):
        list(desk.case_ids())
