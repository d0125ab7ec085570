"""The fast canonical JSON of the hash chain is RFC 8785, byte for byte: checked against
the ``rfc8785`` package on every JSON value Hypothesis can draw."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import example, given
from hypothesis import strategies as st

from casehistory.domain.chain import canonical_json

_SAFE = 2**53 - 1
scalars = st.none() | st.booleans() | st.integers(-_SAFE, _SAFE) | st.text()
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
@example({"\ue000": 1, "\U0001f600": 2})  # code point and UTF-16 orders differ here
@example({"a": '\u2028\x7f\x00\x1f\\"é𝄞'})
@example(1e21)
@example(2**60)
def test_equals_rfc8785_wherever_rfc8785_has_an_answer(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError):
        return
    assert canonical_json(value) == expected


@given(st.dictionaries(st.text(st.characters(max_codepoint=127)), scalars, max_size=6))
def test_takes_the_fast_path_for_records(value: dict[str, Any]) -> None:
    # A record's shape: ASCII keys, strings, safe integers. The fast path must agree.
    assert canonical_json(value) == rfc8785.dumps(value)
