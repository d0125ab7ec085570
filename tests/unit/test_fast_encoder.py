"""The desk's encoding of what it stores (orjson and one walk) gives eventsourcing's
transcoder's bytes, byte for byte, or leaves the value to the transcoder: stored bytes
never change with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import Actor, CaseDesk, Channel, Money, Role
from casehistory._transcodings import fast_encoder
from casehistory.domain.lifecycle import Status
from casehistory.domain.state import RmaStage, StatusChange
from casehistory.stories import STORIES

DESK = CaseDesk.open(":memory:")
TRANSCODER = DESK._mapper.transcoder
FAST = fast_encoder(TRANSCODER)


AT = datetime(2026, 1, 1, tzinfo=UTC)


class Level(IntEnum):
    HIGH = 2


class Shade(StrEnum):
    DARK = "dark"


class Unregistered:
    pass


def _same(value: Any) -> None:
    try:
        expected = TRANSCODER.encode(value)
    except Exception as error:
        with pytest.raises(type(error)):
            FAST(value)
        return
    assert FAST(value) == expected


def test_every_event_and_snapshot_of_the_stories_is_encoded_as_the_transcoder_does() -> None:
    desk = CaseDesk.open(":memory:")
    for story in STORIES:
        case_id = story.tell(desk)
        for event in desk.history(case_id):
            state = dict(vars(event))
            del state["originator_id"], state["originator_version"]
            _same(state)
        case = desk._load(case_id)
        snapshot = dict(vars(case.Snapshot.take(case)))
        del snapshot["originator_id"], snapshot["originator_version"]
        _same(snapshot)


LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["\ud800", "\u2028", "\x00\x1f\x7f", "é𝄞", '"\\'])
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))]))
    | st.dates()
    | st.uuids()
    | st.sampled_from(
        [
            Money("12.50", "USD"),
            Actor("a.lee", Role.AGENT),
            Channel.EMAIL,
            RmaStage.ISSUED,
            Level.HIGH,
            Shade.DARK,
            Unregistered(),
            b"bytes",
            StatusChange(Status.OPEN, AT, AT),
        ]
    )
)
TREES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        | st.dictionaries(st.integers(0, 3) | st.none(), inner, max_size=2)
    ),
    max_leaves=12,
)


@settings(max_examples=500)
@given(st.dictionaries(st.text(max_size=4), TREES, max_size=5))
def test_any_state_is_encoded_as_the_transcoder_does_or_refused_alike(
    state: dict[str, Any],
) -> None:
    _same(state)


def test_a_circular_state_is_refused_as_the_transcoder_refuses_it() -> None:
    state: dict[str, Any] = {"a": []}
    state["a"].append(state)
    _same(state)


def test_the_events_and_snapshots_a_desk_writes_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = CaseDesk.open(":memory:")
    states = []
    for story in STORIES:
        case_id = story.tell(desk)
        case = desk._load(case_id)
        for event in [*desk.history(case_id), case.Snapshot.take(case)]:
            state = dict(vars(event))
            del state["originator_id"], state["originator_version"]
            states.append((state, TRANSCODER.encode(state)))

    def refused(_: object) -> bytes:
        raise AssertionError("the transcoder was asked")

    monkeypatch.setattr(TRANSCODER, "encode", refused)
    for state, expected in states:
        assert FAST(state) == expected


ACTORS = st.builds(Actor, st.sampled_from(["a.lee", "b.kim"]), st.sampled_from(list(Role)))
MONEYS = st.builds(Money, st.sampled_from(["12.50", "0.01", "7"]), st.sampled_from(["USD", "EUR"]))


@settings(max_examples=200)
@given(st.lists(st.lists(ACTORS | MONEYS, min_size=1, max_size=3), min_size=1, max_size=6))
def test_actors_and_amounts_encoded_again_give_their_own_bytes(rows: list[list[Any]]) -> None:
    # The encoder keeps the last actor's and amount's encoding for the same object:
    # objects repeated, equal and different, in any order, each give the transcoder's bytes.
    for row in rows:
        for value in [*row, *row]:
            _same({"by": value, "values": row})
