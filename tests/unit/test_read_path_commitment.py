"""The state commitment reads which fields it leaves out once per class and format: the
same commitment as reading them from the class each time (the code before), for every
format, on folded states and on states whose sparse field is set."""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, SteppingClock
from casehistory.domain import _commitment
from casehistory.domain._walks import _ITEM_TUPLES, _Typed
from casehistory.domain.chain import SINCE, SPARSE, canonical_json, state_commitment
from casehistory.domain.sealed import Sealed
from casehistory.domain.state import CaseState, fold
from casehistory.domain.values import Money
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories


def commitment_before(
    state: Any, created_on: datetime, modified_on: datetime, state_format: int | None
) -> str:
    """state_commitment as it was written before the fields were kept."""
    left_out = {"digest"}
    if state_format is not None:
        left_out.update(
            field.name
            for field in attrs.fields(type(state))
            if field.metadata.get(SINCE, 1) > state_format
        )
    left_out.update(
        field.name
        for field in attrs.fields(type(state))
        if field.metadata.get(SPARSE) and getattr(state, field.name) == field.default
    )
    body = _Typed().of(state)
    name = f"${type(state).__name__}"
    body[name] = {key: item for key, item in body[name].items() if key not in left_out}
    document = {
        "created_on": created_on.isoformat(),
        "modified_on": modified_on.isoformat(),
        "state": body,
    }
    return hashlib.sha256(canonical_json(document)).hexdigest()


def folded(history: CaseHistory) -> CaseState:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    return fold(desk.history(case_id))


@settings(max_examples=40, deadline=None)
@given(case_histories(max_commands=20), st.sampled_from([None, 1, 2, 3, 4]), st.booleans())
def test_the_commitment_is_what_it_was_for_every_format(
    history: CaseHistory, state_format: int | None, forgotten: bool
) -> None:
    state = folded(history)
    if forgotten:
        state = attrs.evolve(state, forgotten=True)
    for _ in range(2):  # the second time from the kept fields
        assert state_commitment(
            state, CLOCK_START, CLOCK_START, state_format=state_format
        ) == commitment_before(state, CLOCK_START, CLOCK_START, state_format)


def test_a_format_of_another_type_is_refused_as_before() -> None:
    with pytest.raises(TypeError):
        _commitment._left_out(CaseState, "2")  # type: ignore[arg-type]
    assert all(type(key[1]) is int or key[1] is None for key in _commitment._LEFT_OUT)


class _Pair(NamedTuple):
    left: Any
    right: Any


class _Box(Sealed):
    __slots__ = ()


class _Table(dict[str, Any]):
    pass


_ODD = [
    {"a": 1, "b": (1, 2)},
    {"é": Decimal("1.00")},
    {"\ud800": 1},
    {1: "not a string key"},
    _Table(a=1),
    _Pair(Decimal("1"), _Pair("x", None)),
    (_Pair(1, 2), [_Pair(3, 4)]),
    Sealed("k1.AAAA"),
    _Box("k1.BBBB"),
    {"big": 2**60},
    {"m": Money(Decimal("2.50"), "EUR"), "t": (datetime(2026, 1, 1, tzinfo=UTC),) * 2},
]


class _GeneralOnly(_Typed):
    """The typed walk without its exact-type dispatch of dicts, sealed texts and named
    tuples: each of them through the general path, as before that dispatch."""

    __slots__ = ()

    def of(self, value: Any) -> Any:
        kind = type(value)
        if kind is dict or kind is Sealed or kind in _ITEM_TUPLES:
            return self._general(value)
        return super().of(value)


def _typed_after_a_first_walk(value: Any) -> _Typed:
    """A typed walk once the walk has met ``value``'s kinds (a named tuple takes the
    dispatch from its second meeting on)."""
    with contextlib.suppress(TypeError):
        _Typed().of(value)
    return _Typed()


@pytest.mark.parametrize("value", _ODD, ids=range(len(_ODD)))
def test_the_typed_walks_dispatch_gives_what_its_general_path_gives(value: Any) -> None:
    ours, theirs = _typed_after_a_first_walk(value), _GeneralOnly()
    try:
        wanted = theirs.of(value)
    except TypeError as error:
        with pytest.raises(TypeError, match=re.escape(str(error))):
            ours.of(value)
        return
    assert ours.of(value) == wanted
    assert ours.plain is theirs.plain


@settings(max_examples=40, deadline=None)
@given(case_histories(max_commands=25))
def test_the_typed_walk_of_folded_states_is_its_general_paths(history: CaseHistory) -> None:
    state = folded(history)
    ours, theirs = _typed_after_a_first_walk(state), _GeneralOnly()
    assert ours.of(state) == theirs.of(state)
    assert ours.plain is theirs.plain
