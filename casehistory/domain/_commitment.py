"""The state commitment: the SHA-256 an event at a snapshot version carries of the case's
state right after it (:func:`state_commitment`), and the attrs metadata keys that say
which fields of a state a commitment of each format covers (:data:`SINCE`, :data:`SPARSE`).

Separate from :mod:`casehistory.domain.chain`, which holds what an event's digest covers
(the commitment is one field of it); imported again from there, where it is public.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import attrs
import orjson

from casehistory.domain._canonical import canonical_json
from casehistory.domain._walks import _Typed

__all__ = ["SINCE", "SPARSE", "STATE_COMMITMENT", "state_commitment"]

STATE_COMMITMENT = "state_commitment"
"""The payload field of an event that commits to the case's state after it."""

SINCE = "casehistory.since"
"""The attrs metadata key of a state field added after a state's first format: the
number of the format that added it. A commitment of format N covers the fields of
formats up to N (:func:`state_commitment`)."""


SPARSE = "casehistory.sparse"
"""The attrs metadata key of a state field that a commitment covers only while it differs
from its default: added without a new format, so that every commitment recorded before
it still verifies, and covered from the first event that sets it."""


def state_commitment(
    state: Any, created_on: datetime, modified_on: datetime, *, state_format: int | None = None
) -> str:
    """SHA-256 (hex) of the canonical JSON of a case's state as a snapshot holds it.

    Covers the state's every field, with its type (:func:`typed`), but ``digest`` (the
    digest of the event that carries the commitment, which cannot cover itself; a
    snapshot's ``digest`` is checked against that event's instead), and the store times
    of the case's first and last events (``created_on``, ``modified_on``).

    ``state_format``: the commitment an event recorded under that format of the state
    holds, which leaves out the fields added by later formats (attrs metadata
    :data:`SINCE`); None (the default) covers every field."""
    if not attrs.has(type(state)):
        raise TypeError(f"a case state is an attrs instance, got {type(state).__name__}")
    since, sparse = _left_out(type(state), state_format)
    left_out = set(since)
    left_out.update(name for name, default in sparse if getattr(state, name) == default)
    walk = _Typed()
    body = walk.of(state)
    name = f"${type(state).__name__}"
    body[name] = {key: item for key, item in body[name].items() if key not in left_out}
    document = {
        "created_on": require_datetime(created_on).isoformat(),
        "modified_on": require_datetime(modified_on).isoformat(),
        "state": body,
    }
    text: bytes | None = None
    if walk.plain:  # the walk checked what _plain_json would: orjson writes the JCS bytes
        try:
            text = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: canonical_json says why
            text = None
    return hashlib.sha256(text if text is not None else canonical_json(document)).hexdigest()


def _left_out(
    cls: type[Any], state_format: int | None
) -> tuple[frozenset[str], tuple[tuple[str, Any], ...]]:
    """The fields a commitment of ``state_format`` leaves out of a state of ``cls``
    (``digest`` and those of later formats), and the sparse fields with their defaults
    (left out while they hold them): read from the class's attrs fields once per class
    and format, where each snapshot checked or written read them twice."""
    key = (cls, state_format)
    known = _LEFT_OUT.get(key) if type(state_format) is int or state_format is None else None
    if known is not None:
        return known
    fields = attrs.fields(cls)
    since = {"digest"}
    if state_format is not None:
        since.update(f.name for f in fields if f.metadata.get(SINCE, 1) > state_format)
    known = frozenset(since), tuple((f.name, f.default) for f in fields if f.metadata.get(SPARSE))
    if (type(state_format) is int or state_format is None) and len(_LEFT_OUT) < 1024:
        _LEFT_OUT[key] = known  # classes and formats, a few: a bound for safety only
    return known


_LEFT_OUT: dict[
    tuple[type[Any], int | None], tuple[frozenset[str], tuple[tuple[str, Any], ...]]
] = {}


def require_datetime(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"a store time is a datetime, got {type(value).__name__}")
    return value
