"""A stored snapshot decodes on the fast path (orjson and one walk) to the very object
the general path (eventsourcing's mapper, the json module) gives, and any row the fast
path does not read exactly as a desk writes it goes to the general path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.persistence import Mapper, StoredEvent

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.desk._mapper import CaseMapper
from casehistory.desk._snapshots import decode_snapshot, snapshot_problem
from casehistory.domain.case import Case, CaseSnapshot
from casehistory.domain.state import CaseState
from casehistory.errors import StoreUnavailable

AGENT = Actor("a.lee", Role.AGENT)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class EveryTwo(CaseDesk):
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: 2}


@pytest.fixture
def snapshot_row(tmp_path: Path) -> tuple[CaseDesk, StoredEvent]:
    desk = EveryTwo.open(
        str(tmp_path / "s.sqlite"), clock=SteppingClock(datetime(2026, 6, 1, tzinfo=UTC))
    )
    case_id = desk.open_case(
        customer=Customer("c-1", "Dana Smith"),
        subject="power supply failed",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=AT,
    )
    for n in range(3):
        desk.add_note(case_id, text=f"note {n} from Dana", by=AGENT, occurred_at=AT)
    with desk._rows() as rows:
        row = rows.snapshot(case_id, None)
    assert row is not None
    assert row.originator_version == 4
    return desk, row


def _general(mapper: CaseMapper, row: StoredEvent) -> Any:
    return Mapper.to_domain_event(mapper, row)


def test_the_fast_path_gives_what_the_general_path_gives(
    snapshot_row: tuple[CaseDesk, StoredEvent],
) -> None:
    desk, row = snapshot_row
    mapper = desk._store.mapper
    assert isinstance(mapper, CaseMapper)
    fast = mapper._plain_snapshot(row)
    assert fast is not None  # the fast path read it
    general = _general(mapper, row)
    assert type(fast) is type(general) is CaseSnapshot
    assert vars(fast) == vars(general)
    assert type(fast.state["state"]) is CaseState
    assert fast.state["state"] == general.state["state"]
    assert [type(v) for v in vars(fast).values()] == [type(v) for v in vars(general).values()]
    checked = decode_snapshot(mapper, row)
    assert isinstance(checked, CaseSnapshot)
    with desk._rows() as rows:
        (version, topic, state) = rows.events(row.originator_id, 4, 4)[0][:3]
    event = mapper.to_domain_event(StoredEvent(row.originator_id, version, topic, state))
    assert snapshot_problem(checked, event) is None
    desk.close()


@pytest.mark.parametrize(
    ("change", "read"),
    [
        (lambda s: s.replace(b'{"timestamp"', b'{"class_version":1,"timestamp"', 1), True),
        (lambda s: s.replace(b'{"timestamp"', b'{"occurred_at":null,"timestamp"', 1), True),
        (lambda s: s.replace(b'{"timestamp"', b'{"_as_stored":{},"timestamp"', 1), False),
        (lambda s: s.replace(b'+00:00"},"topic"', b'"},"topic"', 1), False),
        (lambda s: s.replace(b'{"timestamp"', b'{"x":1.5,"timestamp"', 1), True),
        (lambda s: b"[" + s + b"]", False),
        (lambda s: s[:-1], False),
    ],
)
def test_what_the_fast_path_does_not_read_goes_to_the_general_path(
    snapshot_row: tuple[CaseDesk, StoredEvent], change: Any, read: bool
) -> None:
    desk, row = snapshot_row
    mapper = desk._store.mapper
    changed = StoredEvent(row.originator_id, row.originator_version, row.topic, change(row.state))
    assert changed.state != row.state
    assert mapper._plain_snapshot(changed) is None
    if read:  # what the general path reads, the desk reads the same
        assert vars(mapper.to_domain_event(changed)) == vars(_general(mapper, changed))
    else:  # and what it refuses (or the desk's own checks refuse), the desk names
        with pytest.raises(StoreUnavailable):
            mapper.to_domain_event(changed)
    desk.close()


def test_a_snapshot_with_a_text_id_takes_the_general_path(
    snapshot_row: tuple[CaseDesk, StoredEvent],
) -> None:
    desk, row = snapshot_row
    mapper = desk._store.mapper
    text_id = StoredEvent(str(row.originator_id), row.originator_version, row.topic, row.state)
    assert mapper._plain_snapshot(text_id) is None
    assert vars(mapper.to_domain_event(text_id)) == vars(mapper.to_domain_event(row))
    desk.close()
