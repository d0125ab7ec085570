"""The catalog rebuild's JSON decoding (orjson and one walk) gives what the desk's own
transcoder gives, or refuses so that the transcoder is asked: never another value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, SteppingClock
from casehistory._transcodings import fast_decoder
from casehistory.desk._mapper import CaseMapper
from casehistory.stories import STORIES

TRANSCODER = CaseDesk.open(":memory:")._mapper.transcoder
FAST = fast_decoder(TRANSCODER)
NAMES = sorted(TRANSCODER.names)

_DATA = {
    "datetime_iso": st.sampled_from(
        ["2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00", "2026-13-02", "x", ""]
    ),
    "decimal_str": st.sampled_from(["12.50", "1E+3", "-0", "NaN", "abc", ""]),
    "date": st.sampled_from(["2026-03-02", "2026-02-30", "20260302", ""]),
    "uuid_hex": st.sampled_from(["0" * 32, "f" * 32, "xyz", ""]),
}


def _leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),  # past 64 bits: orjson differs
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
        st.sampled_from(["\ud800", "AGENT", "EMAIL", "OURS", "USD", "_type_", "_data_"]),
    )


def _typed(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``{"_type_": name, "_data_": ...}``: names registered or not, data fitting or not."""
    name = st.one_of(st.sampled_from(NAMES), st.text(max_size=6), st.integers(0, 3))
    return name.flatmap(
        lambda n: st.fixed_dictionaries(
            {
                "_type_": st.just(n),
                "_data_": st.one_of(_DATA[n], children) if n in _DATA else children,
            }
        )
    )


TREES = st.recursive(
    _leaves(),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "_type_", "_data_", "id"]), children),
        _typed(children),
    ),
    max_leaves=25,
)


def _same(mine: Any, theirs: Any) -> bool:
    """Equal in type and value all the way down (1 == 1.0 == True will not do)."""
    if type(mine) is not type(theirs):
        return False
    if isinstance(mine, dict):
        return list(mine) == list(theirs) and all(_same(mine[k], theirs[k]) for k in mine)
    if isinstance(mine, list):
        return len(mine) == len(theirs) and all(map(_same, mine, theirs))
    return repr(mine) == repr(theirs)


def _compare(data: bytes) -> None:
    try:
        theirs: Any = TRANSCODER.decode(data)
    except Exception:
        theirs = None  # refused: the fast path must refuse too (or not return an object)
    try:
        mine: Any = FAST(data)
    except Exception:
        return  # the caller asks the transcoder, which gives its answer or its error
    assert theirs is not None, f"the transcoder refuses {data!r} but the fast path read it"
    assert _same(mine, theirs), (data, mine, theirs)


@settings(max_examples=600)
@given(st.dictionaries(st.text(max_size=5), TREES, max_size=5), st.booleans())
def test_any_object_decodes_as_the_transcoder_decodes_it_or_is_refused(
    tree: dict[str, Any], ascii_only: bool
) -> None:
    data = json.dumps(tree, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    _compare(data)


@settings(max_examples=300)
@given(st.binary(max_size=60), st.sampled_from([b'{"a":', b"[", b'{"_type_":"Role","_data_":']))
def test_any_bytes_decode_as_the_transcoder_decodes_them_or_are_refused(
    tail: bytes, head: bytes
) -> None:
    _compare(head + tail)


def test_the_cases_outside_orjson_are_refused_not_read_otherwise() -> None:
    for data in (
        b'{"a": 18446744073709551616}',  # orjson: a float
        b'{"a": -9223372036854775809}',
        b'{"a": NaN}',
        b'{"a": "\\ud800"}',
        b'{"a": 1e400}',
        b"[1, 2]",  # no object
        b'{"_type_": "Role", "_data_": "AGENT"}',  # an object, but not a dict once read
        b'{"a": {"_type_": "no such name", "_data_": 1}}',
    ):
        try:
            FAST(data)
        except Exception:
            continue
        raise AssertionError(f"the fast path read {data!r}")


@pytest.fixture(scope="module")
def stories_rows() -> list[tuple[str, bytes]]:
    """Every row the five stories write: every kind of value the desk records."""
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)
    head = desk._recorder.max_notification_id() or 0
    rows = desk._recorder.select_notifications(start=0, limit=head, inclusive_of_start=False)
    return [(row.topic, row.state) for row in rows]


def test_every_row_a_desk_writes_takes_the_fast_path(
    stories_rows: list[tuple[str, bytes]],
) -> None:
    assert len(stories_rows) > 50
    for _topic, state in stories_rows:
        assert _same(FAST(state), TRANSCODER.decode(state))


def test_the_desk_mapper_is_the_one_the_rebuild_reads_for() -> None:
    assert type(CaseDesk.open(":memory:")._mapper) is CaseMapper
