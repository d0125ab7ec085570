"""The RFC 8785 (JCS) canonical JSON bytes of a JSON value: what every digest of the
domain hashes (an event's, a state commitment's, a policy's, a calendar's).

Separate from :mod:`casehistory.domain.chain` so that the state commitment
(:mod:`casehistory.domain._commitment`), which the chain imports, can use it too without
an import cycle; imported again from the chain, where it is public.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from casehistory.domain._walks import _plain_json

__all__ = ["canonical_json"]


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JCS) bytes of a JSON value.

    Records hold only strings, safe integers, booleans, null, arrays and objects with
    ASCII keys; for those, ``orjson`` with sorted keys writes exactly the JCS bytes
    (strings escaped alike: the short escapes, ``\\u00xx`` for other control characters,
    everything else as UTF-8, keys in code point order) about ten times faster than
    Python's own encoder. Any other value goes through the ``rfc8785`` package. A
    property test holds the two equal."""
    if _plain_json(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: no UTF-8, rfc8785 says why
            pass
    return rfc8785.dumps(value)
