"""What every command hashes (``chain.chained_bytes``, built in one walk) is, byte for
byte, the canonical JSON of the event's record plus its predecessor's digest, as the
chain's definition (``record`` and ``canonical_json``) writes it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casehistory import Actor, Role
from casehistory.domain.chain import canonical_json, chained_bytes, record
from casehistory.domain.events import NoteAdded
from casehistory.stories import STORIES

from ._builders import memory_desk


def _defined(
    case_id: Any,
    version: Any,
    event_class: type[Any],
    previous: Any,
    recorded_at: datetime,
    by: Any,
    occurred_at: datetime,
    fields: dict[str, Any],
) -> bytes:
    entry = record(case_id, version, event_class.__name__, occurred_at, recorded_at, by, fields)
    body = {name: value for name, value in entry.items() if name != "digest"}
    body["previous"] = previous
    return canonical_json(body)


def _both(*args: Any) -> None:
    try:
        expected = _defined(*args)
    except Exception as error:  # the same refusal, of the same kind
        with pytest.raises(type(error)):
            chained_bytes(*args)
        return
    assert chained_bytes(*args) == expected


def test_every_event_of_the_stories_hashes_the_bytes_the_definition_gives() -> None:
    desk = memory_desk()
    for story in STORIES:
        events = desk.history(story.tell(desk))
        previous = None
        for event in events:
            _both(
                event.originator_id,
                event.originator_version,
                type(event),
                previous,
                event.timestamp,
                event.by,
                event.occurred_at,
                dict(vars(event)),
            )
            previous = event.digest


class Colour(Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 2**60


class Shade(StrEnum):
    DARK = "dark"


class Rate(Decimal, Enum):  # an enum that is a decimal: written as the decimal
    HALF = "0.5"


@attrs.frozen
class Pair:
    left: Any
    right: Any


@attrs.frozen
class Accented:
    café: Any  # a field name that is not ASCII


class Event:
    pass


VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.text(max_size=6)
    | st.sampled_from(["\ud800", "é", "\u2028", "\x00"])
    | st.floats(allow_nan=False)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))
    | st.dates()
    | st.uuids()
    | st.sampled_from([Colour.RED, Level.HIGH, Shade.DARK, Rate.HALF, b"bytes", {1, 2}]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3) | st.sampled_from(["é", "a"]), inner, max_size=3)
        | st.dictionaries(st.integers(0, 3), inner, max_size=2)
        | st.builds(Pair, inner, inner)
        | st.builds(Accented, inner)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.text(max_size=4) | st.sampled_from(["digest", "by", "timestamp", "é"]),
        VALUES,
        max_size=4,
    ),
    VALUES,
    st.one_of(st.none(), st.text(max_size=8), st.integers()),
    st.one_of(st.integers(min_value=-(2**60), max_value=2**60), st.booleans()),
)
def test_any_payload_hashes_the_bytes_the_definition_gives_or_is_refused_alike(
    fields: dict[str, Any], by: Any, previous: Any, version: Any
) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    _both(uuid4(), version, Event, previous, at, by, at, fields)


def test_a_decimal_a_date_and_a_uuid_are_written_as_the_definition_writes_them() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    fields = {"amount": Decimal("12.50"), "on": date(2026, 3, 2), "other": UUID(int=7)}
    _both(UUID(int=1), 3, Event, "ab" * 32, at, Pair("a", Colour.RED), at, fields)


_CASES = [uuid4(), uuid4()]
_ACTORS = st.builds(
    Actor, st.sampled_from(["a.lee", "é.ünï", "b\u2028"]), st.sampled_from(list(Role))
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_CASES) | st.uuids() | st.just("not-a-uuid"),
            _ACTORS | st.sampled_from([None, "a.lee", {"id": "x", "é": 1}]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_case_ids_and_actors_written_again_give_the_definitions_bytes(
    calls: list[tuple[Any, Any]],
) -> None:
    # chained_bytes keeps the last case id's text and the last actor's form for the same
    # object: the same objects again, equal ones, others and non-actors, in any order.
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for case_id, by in [*calls, *calls]:
        _both(case_id, 3, NoteAdded, "ab" * 32, at, by, at, {"text": "hello"})
