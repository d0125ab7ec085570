"""Checkpoints: C2SP ``tlog-checkpoint`` signed notes over the global event log.

A checkpoint is the note text

.. code-block:: text

    casehistory/<first 32 hex digits of log entry 0>
    <size>
    <base64 RFC 9162 root of the first size entries>
    casehistory time <store time when it was made, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    casehistory cases <number of cases> <base64 root of the case-head tree>

then, when signed, a blank line and C2SP signed-note signature lines
(:mod:`casehistory.audit.note`). The log's entries are the 32 bytes of each event's
digest in log order; the case-head tree is :mod:`casehistory.audit.case_heads`. The
exact rules, and what each line proves, are in docs/checkpoints.md.

Kept outside the store, a checkpoint pins the history: :func:`check_extends` proves a
log's first ``size`` entries are still those, :func:`check_consistency` proves a newer
checkpoint extends an older one. Legacy JSON checkpoints
(:mod:`casehistory.audit.checkpoint_v1`) are still read.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

import attrs

from casehistory.audit.checkpoint_v1 import LegacyCheckpoint
from casehistory.audit.merkle import HASH_SIZE, TreeBuilder, verify_consistency
from casehistory.audit.note import NoteSignature, SignedNote, SignerKey, VerifierKey
from casehistory.domain.values import require_aware
from casehistory.errors import (
    CheckpointMismatch,
    CheckpointSignatureInvalid,
    InvalidInput,
)

__all__ = [
    "ORIGIN_PREFIX",
    "AnyCheckpoint",
    "Checkpoint",
    "CheckpointMismatch",
    "CheckpointSignatureInvalid",
    "check_consistency",
    "check_extends",
    "check_head",
    "parse_checkpoint",
    "read_checkpoint",
    "store_origin",
]

ORIGIN_PREFIX = "casehistory/"
"""Every store's origin is this, then 32 hex digits of its first event's digest."""

_TIME = "casehistory time "
_CASES = "casehistory cases "
_TIME_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_DECIMAL = re.compile(r"[1-9][0-9]{0,18}")
_LARGEST = 2**63 - 1


def store_origin(first_entry: bytes) -> str:
    """The origin of the store whose log entry 0 is ``first_entry`` (its digest's bytes).

    Entry 0 is the first case's opening, whose digest covers a random case id: no two
    stores share it, no write is needed to name a store, and every checkpoint pins it."""
    return ORIGIN_PREFIX + first_entry[:16].hex()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _hash_from_b64(text: str, what: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except ValueError:
        value = b""
    if len(value) != HASH_SIZE or _b64(value) != text:
        raise InvalidInput(
            f"checkpoint {what} {text!r:.80} is not the standard base64 of {HASH_SIZE} bytes "
            "(rule: C2SP tlog-checkpoint); copy the original checkpoint"
        )
    return value


def _whole(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text) or int(text) > _LARGEST:
        raise InvalidInput(
            f"checkpoint {what} {text!r:.40} is not a whole number from 1 to 2**63 - 1 in "
            "decimal with no leading zero (rule: C2SP tlog-checkpoint; a checkpoint of no "
            "entry pins nothing and is refused)"
        )
    return int(text)


def _check_origin(_: object, __: object, value: Any) -> None:
    if not isinstance(value, str) or not value or any(c.isspace() or c == "+" for c in value):
        raise InvalidInput(
            f"checkpoint origin {value!r:.80} must be non-empty with no space or '+' "
            "(rule: C2SP tlog-checkpoint)"
        )


def _check_count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _LARGEST:
        raise InvalidInput(
            f"checkpoint {attribute.name} must be an int from 1 to 2**63 - 1, got {value!r} "
            "(rule: a checkpoint of no entry pins nothing, and names no store)"
        )


def _check_hash(_: object, attribute: attrs.Attribute[bytes], value: object) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidInput(f"checkpoint {attribute.name} must be 32 bytes, got {value!r:.80}")


def _utc(value: datetime) -> datetime:
    # One instant, one spelling: the signed text must not depend on the caller's offset.
    return require_aware(value, "checkpoint created_at").astimezone(UTC)


@attrs.frozen
class Checkpoint:
    """The size, root and case heads of a store's log at a store time, and signatures."""

    origin: str = attrs.field(validator=_check_origin)
    size: int = attrs.field(validator=_check_count)
    root: bytes = attrs.field(validator=_check_hash, repr=_b64)
    created_at: datetime = attrs.field(converter=_utc)
    """The store time at which it was made: no event inside it was recorded later, no
    event outside it earlier (:func:`~casehistory.audit.store_checks.check_store`)."""
    cases: int = attrs.field(validator=_check_count)
    """How many cases have events among the first ``size`` entries."""
    cases_root: bytes = attrs.field(validator=_check_hash, repr=_b64)
    """The root of the case-head tree (:class:`~casehistory.audit.case_heads.CaseHeads`)."""
    signatures: tuple[NoteSignature, ...] = ()

    format_name: ClassVar[str] = "C2SP tlog-checkpoint"

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    def body(self) -> str:
        """The note text: what every signature signs, final newline included."""
        when = self.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return (
            f"{self.origin}\n{self.size}\n{_b64(self.root)}\n{_TIME}{when}\n"
            f"{_CASES}{self.cases} {_b64(self.cases_root)}\n"
        )

    def text(self) -> str:
        """The file's text: the body, and when signed the blank line and signatures."""
        if not self.signatures:
            return self.body()
        return str(SignedNote(self.body(), self.signatures))

    def sign(self, key: SignerKey) -> Checkpoint:
        """A copy with ``key``'s signature added (named as the key, or as the origin for
        a PEM key, which has no name)."""
        signature = key.sign(self.body(), key.name if key.name is not None else self.origin)
        return attrs.evolve(self, signatures=(*self.signatures, signature))

    def verify_signature(self, trusted: VerifierKey | None = None) -> str:
        """Say what the signatures prove, or raise :class:`CheckpointSignatureInvalid`.

        With ``trusted``, a signature by that key must be there and verify (others are
        ignored, as the spec says). Without it nothing can be verified (a note carries
        no public key): the answer is "unsigned" or "signed by an unpinned key", never
        "verified"."""
        names = ", ".join(sorted({s.name for s in self.signatures})) or "nobody"
        if trusted is None:
            if not self.signatures:
                return "unsigned"
            return f"signed by an unpinned key {names} (not verified: pin a key)"
        claimed = [s for s in self.signatures if trusted.matches(s)]
        if not claimed:
            raise CheckpointSignatureInvalid(
                f"the checkpoint of {self.size} entries of {self.origin} is "
                + ("unsigned" if not self.signatures else f"signed by {names} only")
                + f", not by the trusted key {trusted.describe()} (rule: with a pinned key, "
                "only its signature counts); get a checkpoint signed by that key"
            )
        if not all(trusted.verifies(self.body(), s) for s in claimed):
            raise CheckpointSignatureInvalid(
                f"the signature by {trusted.describe()} does not match the checkpoint of "
                f"{self.size} entries of {self.origin}: its text was changed after signing, "
                "or the signature was; get the original checkpoint from its signer"
            )
        return f"signed by the trusted key {trusted.describe()}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint note, signed or not, strictly (:class:`InvalidInput`)."""
        signatures: tuple[NoteSignature, ...] = ()
        body = text
        if "\n\n" in text:
            note = SignedNote.parse(text)
            body, signatures = note.text, note.signatures
        lines = body.split("\n")
        if not body.endswith("\n") or len(lines) != 6:
            raise InvalidInput(
                f"a checkpoint is 5 lines (origin, size, root, {_TIME.strip()}, "
                f"{_CASES.strip()}) each ending in a newline, then optionally a blank line "
                f"and signatures; got {len(lines) - 1} lines: {body[:120]!r}"
            )
        origin, size, root, time, cases = lines[:5]
        if not time.startswith(_TIME) or not _TIME_FORM.fullmatch(time[len(_TIME) :]):
            raise InvalidInput(
                f"checkpoint line 4 {time!r:.80} must be '{_TIME}' and a UTC time like "
                "2026-11-01T08:00:00.000000Z (rule: one spelling per instant)"
            )
        count, _, cases_root = cases[len(_CASES) :].partition(" ")
        if not cases.startswith(_CASES) or not cases_root:
            raise InvalidInput(
                f"checkpoint line 5 {cases!r:.80} must be '{_CASES}<count> <base64 root>'"
            )
        if bad := next((c for c in body if c < " " and c != "\n"), None):
            raise InvalidInput(f"a checkpoint holds no control character but newline: {bad!r}")
        when = datetime.strptime(time[len(_TIME) :], "%Y-%m-%dT%H:%M:%S.%fZ")
        return cls(
            origin=origin,
            size=_whole(size, "size"),
            root=_hash_from_b64(root, "root"),
            created_at=when.replace(tzinfo=UTC),
            cases=_whole(count, "case count"),
            cases_root=_hash_from_b64(cases_root, "case-head root"),
            signatures=signatures,
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`text` to the file ``path`` (UTF-8)."""
        Path(path).write_text(self.text(), encoding="utf-8")


AnyCheckpoint = Checkpoint | LegacyCheckpoint
"""What a checkpoint file holds: the C2SP note, or the legacy JSON."""


def parse_checkpoint(text: str) -> AnyCheckpoint:
    """A checkpoint in either format: a legacy JSON object, else a C2SP note."""
    if text.lstrip().startswith("{"):
        return LegacyCheckpoint.from_json(text)
    return Checkpoint.parse(text)


def read_checkpoint(path: str | os.PathLike[str]) -> AnyCheckpoint:
    """Read a checkpoint file; every problem is an :class:`InvalidInput` naming the file."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no checkpoint file at {path}; check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read checkpoint file {path}: {error}") from None
    try:
        return parse_checkpoint(text)
    except InvalidInput as error:
        raise InvalidInput(f"{path}: {error}") from None


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _when(checkpoint: AnyCheckpoint) -> str:
    return checkpoint.created_at.isoformat()


def check_extends(checkpoint: AnyCheckpoint, entries: Iterable[bytes]) -> None:
    """Raise :class:`CheckpointMismatch` unless the log's first ``checkpoint.size`` entries
    hash to ``checkpoint.root``. Streams ``entries`` in O(log n) memory and reads no
    further than ``size``; signatures, origin and case heads are not checked here."""
    builder = TreeBuilder()
    for entry in islice(entries, checkpoint.size):
        builder.append(entry)
    check_head(checkpoint, builder.size, builder.root())


def check_head(checkpoint: AnyCheckpoint, log_size: int, root: bytes) -> None:
    """Raise :class:`CheckpointMismatch` unless a log of ``log_size`` entries whose first
    ``min(log_size, checkpoint.size)`` entries hash to ``root`` extends ``checkpoint``."""
    if log_size < checkpoint.size:
        raise CheckpointMismatch(
            f"the log has only {_entries(log_size)}; the checkpoint of {_when(checkpoint)} "
            f"covers {checkpoint.size} (a truncated tail?); restore the missing events from "
            "a backup, or check that the checkpoint belongs to this log"
        )
    if root != checkpoint.root:
        raise CheckpointMismatch(
            f"the first {_entries(checkpoint.size)} hash to {_b64(root)}, the checkpoint of "
            f"{_when(checkpoint)} says {_b64(checkpoint.root)} (an event was rewritten, "
            "deleted or reordered); compare the log with a backup, or with earlier "
            "checkpoints to find the first changed entry"
        )


def check_consistency(old: AnyCheckpoint, new: AnyCheckpoint, proof: Sequence[bytes]) -> None:
    """Raise :class:`CheckpointMismatch` unless ``proof`` (RFC 9162 §2.1.4) shows that the
    log of ``new`` extends the log of ``old``, of the same origin. Signatures are not
    checked here."""
    if old.origin is not None and new.origin is not None and old.origin != new.origin:
        raise CheckpointMismatch(
            f"the checkpoints are of two stores, {old.origin} and {new.origin} (rule: only "
            "checkpoints of one log can extend each other); compare checkpoints of one store"
        )
    if new.size < old.size:
        raise CheckpointMismatch(
            f"the newer checkpoint covers {_entries(new.size)}, fewer than the "
            f"{old.size} of the older one (rule: the log only grows; a truncated log?); "
            "check that they are given as (old, new) and belong to the same log"
        )
    if verify_consistency(old.size, new.size, old.root, new.root, proof):
        return
    if old.size == new.size and old.root != new.root:
        raise CheckpointMismatch(
            f"both checkpoints cover {_entries(old.size)} but their roots differ: "
            f"{_b64(old.root)} then {_b64(new.root)} (an event was rewritten, deleted or "
            "reordered between them); compare the log with a backup"
        )
    raise CheckpointMismatch(
        f"the proof does not show that the checkpoint of {_entries(new.size)} "
        f"({_b64(new.root)}) extends the checkpoint of {_entries(old.size)} "
        f"({_b64(old.root)}): an entry before {old.size} was rewritten, deleted or "
        "reordered, or the proof was made for other sizes"
    )
