"""A command id's fingerprint is built in one walk (``commands.fingerprint``): for any
arguments it must be byte for byte the SHA-256 of ``canonical_json`` of the command's
name and its ``typed`` arguments, as recorded by every release before it (a changed
fingerprint would refuse a retried command as CommandIdReused after an upgrade)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from casehistory import Actor, Channel, Money, Role
from casehistory.domain.chain import canonical_json, typed
from casehistory.domain.commands import fingerprint


def _reference(command: str, arguments: dict[str, Any]) -> str:
    body = {"command": command, "arguments": {name: typed(v) for name, v in arguments.items()}}
    return hashlib.sha256(canonical_json(body)).hexdigest()


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),  # beyond 2**53 - 1 too
    st.text(),  # any code point, lone surrogates included
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])),
    st.dates(),
    st.uuids(),
    st.sampled_from([*Role, *Channel]),
    st.builds(Money, st.sampled_from(["12.50", "0.01"]), st.sampled_from(["USD", "EUR"])),
    st.builds(Actor, st.sampled_from(["a.lee", "zoë", "x"]), st.sampled_from(list(Role))),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
    ),
    max_leaves=8,
)


@given(
    st.text(max_size=12),
    st.dictionaries(st.text(max_size=10), _values, max_size=5),
)
def test_the_fingerprint_is_the_canonical_json_of_the_typed_arguments(
    command: str, arguments: dict[str, Any]
) -> None:
    try:
        expected: str | type[Exception] = _reference(command, arguments)
    except (TypeError, ValueError) as error:
        expected = type(error)
    try:
        found: str | type[Exception] = fingerprint(command, arguments)
    except (TypeError, ValueError) as error:
        found = type(error)
    assert found == expected


def test_a_desk_command_s_fingerprint_is_unchanged() -> None:
    arguments = {
        "case_id": UUID("330d83b4-802a-4d40-9bd9-5be578c808af"),
        "amount": Money("12.50", "USD"),
        "reference": "order-1",
        "by": Actor("a.lee", Role.AGENT),
        "occurred_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "on": date(2026, 3, 2),
        "share": Decimal("0.5"),
        "note": "Zoë 🙂",
    }
    assert fingerprint("record_payment", arguments) == _reference("record_payment", arguments)
    assert fingerprint("record_payment", arguments) == (  # as the release before it gave
        "19ada2f5d318b4336c6f06690fc1cdb32b2a4b9f452eb977159b8a2256c98454"
    )
