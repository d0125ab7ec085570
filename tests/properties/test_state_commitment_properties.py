"""The state commitment's fast path (one walk that also decides whether ``orjson`` may
write the canonical bytes) gives exactly the commitment of its definition: SHA-256 of
the RFC 8785 bytes of the typed state, written here the slow, obvious way."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, SteppingClock
from casehistory.domain.chain import SPARSE, state_commitment, typed
from casehistory.domain.ledger import Hold
from casehistory.domain.sealed import Sealed
from casehistory.domain.state import CaseState, fold
from casehistory.domain.values import Money
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories


def reference_typed(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return {"$enum": f"{type(value).__name__}.{value.name}"}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, Decimal | UUID | date):
        return {f"${type(value).__name__.lower()}": str(value)}
    if isinstance(value, Sealed):  # a personal text: its ciphertext, never its text
        return {"$sealed": value.box}
    if attrs.has(type(value)):
        fields = {
            f.name: reference_typed(getattr(value, f.name)) for f in attrs.fields(type(value))
        }
        return {f"${type(value).__name__}": fields}
    if isinstance(value, tuple | list):
        return [reference_typed(item) for item in value]
    if isinstance(value, Mapping):
        return {"$map": {key: reference_typed(item) for key, item in value.items()}}
    raise TypeError(type(value).__name__)


def reference_commitment(state: CaseState, created_on: datetime, modified_on: datetime) -> str:
    body = reference_typed(state)
    del body["$CaseState"]["digest"]
    for field in attrs.fields(CaseState):  # added since: covered only once set
        if field.metadata.get(SPARSE) and getattr(state, field.name) == field.default:
            del body["$CaseState"][field.name]
    document = {
        "created_on": created_on.isoformat(),
        "modified_on": modified_on.isoformat(),
        "state": body,
    }
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def folded(history: CaseHistory) -> CaseState:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    return fold(desk.history(case_id))


@settings(max_examples=60, deadline=None)
@given(case_histories(max_commands=30))
def test_the_commitment_of_every_folded_state_is_its_definition(history: CaseHistory) -> None:
    state = folded(history)
    assert typed(state) == reference_typed(state)
    assert state_commitment(state, CLOCK_START, CLOCK_START) == reference_commitment(
        state, CLOCK_START, CLOCK_START
    )


# Keys that orjson and RFC 8785 sort differently (astral characters against the top of
# the BMP), keys with lone surrogates (no UTF-8 at all), and plain ones.
_KEYS = st.sampled_from(["A", "z", "\uffff", "\U0001f600", "é", "\ud800", "hold-1"])


@settings(max_examples=80, deadline=None)
@given(case_histories(max_commands=5), st.lists(_KEYS, min_size=1, max_size=4, unique=True))
def test_holds_under_any_reference_hash_as_their_definition(
    history: CaseHistory, references: list[str]
) -> None:
    state = folded(history)
    zero = Money(Decimal("0.00"), "EUR")
    holds = {key: Hold(key, "acct", Money(Decimal("1.00"), "EUR"), zero, "r") for key in references}
    state = attrs.evolve(state, holds=holds)
    try:
        wanted = reference_commitment(state, CLOCK_START, CLOCK_START)
    except UnicodeEncodeError:  # a lone surrogate has no canonical JSON: both refuse
        with pytest.raises(UnicodeEncodeError):
            state_commitment(state, CLOCK_START, CLOCK_START)
        return
    assert state_commitment(state, CLOCK_START, CLOCK_START) == wanted


@given(st.integers(min_value=2**53 - 2, max_value=2**60))
def test_an_unsafe_integer_takes_the_exact_path(number: int) -> None:
    assert typed((number,)) == [number]
