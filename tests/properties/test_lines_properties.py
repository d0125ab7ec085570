"""Export lines written with orjson are the bytes json.dumps writes (ensure_ascii=False,
compact separators), for any text, nesting and key order."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from casehistory.audit._lines import line_of

_texts = st.text(st.characters(exclude_categories=["Cs"]))  # no lone surrogates
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_texts, inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(_texts, _values, max_size=6))
def test_a_line_is_what_json_dumps_writes(value: dict[str, object]) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for mark in ("\x85", "\u2028", "\u2029"):
        expected = expected.replace(mark, json.dumps(mark).strip('"'))

    assert line_of(value) == expected
    assert json.loads(line_of(value)) == value
