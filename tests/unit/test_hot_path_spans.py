"""The texts of a state's index of business times are kept for each pair
(``span_texts``): a snapshot's commitment and its stored bytes are the same whether
the texts were kept or formatted afresh, and a pair that can change is never kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from casehistory import CaseDesk
from casehistory._transcodings import fast_encoder
from casehistory.domain import _walks
from casehistory.domain.chain import state_commitment, typed

from ._builders import AGENT, T, memory_desk, open_assigned_case


def _long_case() -> object:
    """A case whose index of business times holds several spans of distinct times."""
    desk = memory_desk()
    case_id = open_assigned_case(desk)
    for minute in range(160):
        desk.add_note(case_id, text="n", by=AGENT, occurred_at=T + timedelta(minutes=minute % 70))
    case = desk._load(case_id)
    assert len(case.state.occurred_runs) >= 3
    return case


def test_kept_texts_give_the_same_commitment_and_bytes() -> None:
    case: object = _long_case()
    state = case.state  # type: ignore[attr-defined]
    created, modified = case.created_on, case.modified_on  # type: ignore[attr-defined]
    transcoder = CaseDesk.open(":memory:")._mapper.transcoder
    encode = fast_encoder(transcoder)
    _walks._SPAN_TEXTS.clear()
    fresh_bytes = encode({"state": state})
    # The encoding itself kept them (not the transcoder's path, which keeps nothing).
    assert any(entry[0] is state.occurred_runs[0] for entry in _walks._SPAN_TEXTS.values())
    _walks._SPAN_TEXTS.clear()
    fresh = state_commitment(state, created, modified)
    assert any(entry[0] is state.occurred_runs[0] for entry in _walks._SPAN_TEXTS.values())
    for _ in range(2):  # kept now: the same answers
        assert state_commitment(state, created, modified) == fresh
        assert encode({"state": state}) == fresh_bytes == transcoder.encode({"state": state})


def test_a_pair_that_can_change_is_not_kept() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    pair = [first, first]
    assert typed([pair]) == [[{"$datetime": first.isoformat()}] * 2]
    later = first + timedelta(days=1)
    pair[1] = later
    assert typed([pair])[0][1] == {"$datetime": later.isoformat()}
    assert all(entry[0] is not pair for entry in _walks._SPAN_TEXTS.values())


def test_a_time_is_kept_only_where_its_text_cannot_change() -> None:
    fixed = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert _walks.time_text(fixed) == fixed.isoformat()
    assert _walks._TIME_TEXTS[id(fixed)] == (fixed, fixed.isoformat())

    class Shifting(tzinfo):  # a tzinfo that answers otherwise each time
        def __init__(self) -> None:
            self.calls = 0

        def utcoffset(self, dt: datetime | None) -> timedelta:
            self.calls += 1
            return timedelta(hours=self.calls)

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

    moving = datetime(2026, 1, 1, 9, tzinfo=Shifting())
    assert _walks.time_text(moving) != _walks.time_text(moving)
    assert id(moving) not in _walks._TIME_TEXTS
