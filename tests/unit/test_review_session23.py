"""Session 23's review: an event made without ``trigger_event`` (``_record._trigger``)
stores the bytes of the general path also where tests/unit/test_hot_path_bytes.py does
not look: command ids (an extra field) together with a state commitment (another) on
the same event, expected versions, a defaulted field given and left out, and times
given in a named zone in the hour that repeats (kept at their fixed offset)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from casehistory import (
    Actor,
    Channel,
    Customer,
    Demeanour,
    Direction,
    Money,
    Role,
    SteppingClock,
)
from casehistory.domain import _support

from .test_hot_path_bytes import _OftenSnapshotted, _on_both_paths, _rows

AGENT = Actor("a.lee", Role.AGENT)
BERLIN = ZoneInfo("Europe/Berlin")
FOLD = datetime(2026, 10, 25, 2, 10, 22, tzinfo=BERLIN, fold=1)  # the repeated 02:10


def _commands(path: Path, cache: int) -> list[tuple[Any, ...]]:
    desk = _OftenSnapshotted.open(
        path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)), cache=cache
    )
    try:
        case_id = desk.open_case(
            customer=Customer("C-1", "Ann Able", "ann@example.org"),
            subject="kettle",
            channel=Channel.PHONE,
            by=AGENT,
            occurred_at=FOLD - timedelta(minutes=5),
            command_id="open-1",
        )
        desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=FOLD, command_id="a-1")
        for n in range(7):  # every third event commits to the state: both extras at once
            desk.add_note(
                case_id,
                text=f"note {n}",
                by=AGENT,
                occurred_at=FOLD,
                command_id=f"note-{n}",
                expected_version=desk.case(case_id).version,
            )
            desk.log_contact(
                case_id,
                channel=Channel.EMAIL,
                direction=Direction.INBOUND,
                summary=f"call {n}",
                by=AGENT,
                occurred_at=FOLD,
                demeanour=Demeanour.CALM if n % 2 else None,
                command_id=None if n % 3 == 0 else f"contact-{n}",
            )
        desk.record_payment(
            case_id,
            amount=Money("12.50", "EUR"),
            reference="PAY-1",
            by=AGENT,
            occurred_at=FOLD,
            command_id="pay-1",
        )
        # Replays record nothing, on either path.
        desk.add_note(case_id, text="note 3", by=AGENT, occurred_at=FOLD, command_id="note-3")
    finally:
        desk.close()
    return list(_rows(path))


@pytest.mark.parametrize("cache", [0, 16])
def test_command_ids_with_state_commitments_store_the_bytes_of_the_general_path(
    tmp_path: Path, cache: int
) -> None:
    fast, general = _on_both_paths(_commands, tmp_path, cache)
    assert _support._DIRECT
    events = [  # the keys' rows have three columns
        row for row in fast if len(row) == 4 and not str(row[2]).endswith(":CaseSnapshot")
    ]
    assert len(events) > 15
    both = [row for row in events if b'"command_id"' in row[3] and b'"state_commitment"' in row[3]]
    assert both  # an event that carries both extras
    assert fast == general
