"""Command ids: the caller's name for a command, so that a command delivered twice (a
queue, a webhook, a client retrying after a timeout) is recorded once.

A command given ``command_id`` records the id on each event it records, with the
fingerprint of its arguments: the SHA-256 of the canonical JSON of the command's name
and its arguments, each with its type (:func:`~casehistory.domain.chain.typed`). Both
are covered by the event's digest. The rule, in :func:`replay_of`: an id already
recorded on a case with the same fingerprint is a repeat, which records nothing and
answers what the first delivery answered; with another fingerprint it is refused
(:class:`~casehistory.errors.CommandIdReused`). docs/operations.md, "Retrying safely".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID, uuid5

import attrs
import orjson

from casehistory.domain._walks import _Typed
from casehistory.domain.chain import canonical_json
from casehistory.errors import CommandIdReused, InvalidInput

__all__ = [
    "COMMAND_FINGERPRINT",
    "COMMAND_ID",
    "MAX_COMMAND_ID",
    "CommandId",
    "case_id_of",
    "fingerprint",
    "replay_of",
    "require_command_id",
]

COMMAND_ID = "command_id"
"""The payload field of an event that names the command which recorded it."""
COMMAND_FINGERPRINT = "command_fingerprint"
"""The payload field of an event holding the fingerprint of that command's arguments."""

MAX_COMMAND_ID = 200
"""The longest command id, in characters."""

# Visible ASCII but the quote and the backslash: an id is written in the stored JSON as
# it is, so a desk finds the events of an id by its bytes (and a log line shows it as is).
_ID = re.compile(r"[!#-\[\]-~]{1," + str(MAX_COMMAND_ID) + "}")

_OPENING = UUID("0c6e9b1e-5d0c-4a53-9d0e-6f3c2f1b7a40")
"""The namespace of the case ids that ``open_case(command_id=...)`` derives."""


@attrs.frozen
class CommandId:
    """A command's id, as the caller gave it, and the fingerprint of its arguments."""

    id: str
    fingerprint: str


def require_command_id(value: object) -> str:
    """Return ``value`` if it can name a command, else raise :class:`InvalidInput`."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidInput(
            f"command_id must be 1 to {MAX_COMMAND_ID} visible ASCII characters other than "
            f'" and \\ (a UUID, "webhook-4711", "queue:orders/81"), got {value!r:.80}'
        )
    return value


def fingerprint(command: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a command's name and arguments, each with its type.

    The canonical JSON of ``{"command": ..., "arguments": {name: typed(value)}}``, built
    in one walk (:class:`~casehistory.domain._walks._Typed`, as a state commitment is)
    that notes whether ``orjson`` writes its RFC 8785 bytes, where ``canonical_json``
    would walk the typed arguments a second time to know: every command given an id
    pays it (tests/unit/test_idempotent_binding.py holds the two equal)."""
    walk = _Typed()
    typed_arguments = {name: walk.of(value) for name, value in arguments.items()}
    body = {"command": command, "arguments": typed_arguments}
    text: bytes | None = None
    if (
        walk.plain
        and type(command) is str
        and command.isascii()
        and all(type(name) is str and name.isascii() for name in typed_arguments)
    ):
        try:
            text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: canonical_json says why
            text = None
    return hashlib.sha256(text if text is not None else canonical_json(body)).hexdigest()


def case_id_of(command_id: str) -> UUID:
    """The id of the case that ``open_case(command_id=...)`` opens without a ``case_id``:
    the same id for the same command id, so that a repeated opening finds its case."""
    return uuid5(_OPENING, command_id)


def replay_of(command: CommandId, recorded: Iterable[tuple[int, str]], case_id: UUID) -> int | None:
    """The version the first delivery of ``command`` left the case at, or None when the
    case has no event of its id. ``recorded`` holds ``(version, fingerprint)`` of every
    event of the case that carries the id.

    Raises :class:`CommandIdReused` when the id was recorded for other arguments."""
    last: int | None = None
    for version, found in recorded:
        if found != command.fingerprint:
            raise CommandIdReused(
                f"command_id {command.id!r} was recorded on case {case_id} at version "
                f"{version} for another command or other arguments (rule: a command id "
                "names one command on a case); give this command an id of its own"
            )
        last = version if last is None else max(last, version)
    return last
