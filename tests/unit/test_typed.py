"""``chain.typed`` (what a state commitment and a command's fingerprint hash) takes
fast paths by exact type; each must give what its documented general rule gives."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any
from uuid import UUID

import attrs
from hypothesis import given
from hypothesis import strategies as st

from casehistory import Actor, Money, Role
from casehistory.domain.chain import typed


def _reference(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return {"$enum": f"{type(value).__name__}.{value.name}"}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, Decimal | UUID | date):
        return {f"${type(value).__name__.lower()}": str(value)}
    if attrs.has(type(value)):
        names = [f.name for f in attrs.fields(type(value))]
        return {f"${type(value).__name__}": {n: _reference(getattr(value, n)) for n in names}}
    if isinstance(value, tuple | list):
        return [_reference(item) for item in value]
    if isinstance(value, Mapping):
        return {"$map": {key: _reference(item) for key, item in value.items()}}
    raise TypeError(type(value).__name__)


class Colour(Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 2


class Shade(StrEnum):
    DARK = "dark"


class Rate(Decimal, Enum):
    HALF = "0.5"


@attrs.frozen
class Pair:
    left: Any
    right: Any


TIMES = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=4)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | TIMES
    | st.dates()
    | st.uuids()
    | st.sampled_from(
        [Colour.RED, Level.HIGH, Shade.DARK, Rate.HALF, Role.AGENT, Money("1.50", "EUR")]
    )
    | st.builds(
        Actor,
        st.text(min_size=1, max_size=3).filter(str.strip),  # an actor's id is never blank
        st.sampled_from(list(Role)),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(st.tuples(TIMES, TIMES), max_size=3).map(tuple)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        | st.builds(Pair, inner, inner)
    ),
    max_leaves=10,
)


@given(VALUES)
def test_typed_is_its_general_rule(value: Any) -> None:
    assert typed(value) == _reference(value)
    assert typed(value) == _reference(value)  # and again, once the classes are known
