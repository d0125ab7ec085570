"""Checkpoints: a signed statement of how many entries the global event log had, and
their Merkle tree head (:mod:`casehistory.audit.merkle`), at a given time.

A checkpoint kept outside the store (printed, mailed to the auditor, committed
elsewhere) pins the history: later, :func:`check_extends` reads the log and proves its
first ``size`` entries are still exactly those, and :func:`check_consistency` proves a
newer checkpoint extends an older one. The signature (Ed25519) covers the canonical
statement (:meth:`Checkpoint.statement`), never the file's text, so indentation and key
order in a file do not matter. This module does no clock reading: the caller gives
``created_at``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import attrs
import rfc8785
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from casehistory.audit.merkle import EMPTY_ROOT, HASH_SIZE, TreeBuilder, verify_consistency
from casehistory.domain.values import require_aware
from casehistory.errors import (
    CheckpointMismatch,
    CheckpointSignatureInvalid,
    InvalidInput,
    SigningKeyUnusable,
)

__all__ = [
    "FORMAT",
    "Checkpoint",
    "CheckpointMismatch",
    "CheckpointSignatureInvalid",
    "SigningKeyUnusable",
    "check_consistency",
    "check_extends",
    "check_head",
    "generate_private_key_pem",
    "load_private_key",
]

FORMAT = "casehistory-checkpoint/1"
"""The ``format`` field of every checkpoint this version writes and the only one it reads."""

_SIGNATURE_SIZE = 64
_PUBLIC_KEY_SIZE = 32
_LARGEST_SIZE = 2**53 - 1  # RFC 8785 writes numbers as IEEE doubles: exact up to 2**53 - 1
_STATEMENT_FIELDS = ("format", "size", "root", "created_at")
_SIGNATURE_FIELDS = ("signature", "public_key")


def _utc(value: datetime) -> datetime:
    # One instant, one spelling: the signed statement must not depend on the offset
    # the caller happened to use.
    return require_aware(value, "Checkpoint created_at").astimezone(UTC)


def _check_size(_: Any, __: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _LARGEST_SIZE:
        raise InvalidInput(
            f"checkpoint size must be an int from 0 to 2**53 - 1, got {value!r} (rule: it "
            "counts the log's entries, written as an exact JSON number); pass the entry count"
        )


def _check_bytes(name: str, length: int, optional: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if not (value is None and optional) and (
            not isinstance(value, bytes) or len(value) != length
        ):
            raise InvalidInput(
                f"checkpoint {name} must be {length} bytes, got {value!r:.80}; pass raw "
                "bytes (a root from tree_head(entries), bytes.fromhex(text) for hex)"
            )

    return check


def _hex(value: bytes | None) -> str:
    return "None" if value is None else repr(value.hex())


@attrs.frozen
class Checkpoint:
    """The size and Merkle tree head of the global event log at ``created_at``.

    ``root`` is MTH of the first ``size`` entries; ``created_at`` is converted to UTC.
    ``signature`` and ``public_key`` (raw Ed25519, 64 and 32 bytes) are both present
    or both absent; :meth:`sign` fills them in.
    """

    size: int = attrs.field(validator=_check_size)
    root: bytes = attrs.field(validator=_check_bytes("root", HASH_SIZE), repr=_hex)
    created_at: datetime = attrs.field(converter=_utc)
    signature: bytes | None = attrs.field(
        default=None, validator=_check_bytes("signature", _SIGNATURE_SIZE, True), repr=_hex
    )
    public_key: bytes | None = attrs.field(
        default=None, validator=_check_bytes("public_key", _PUBLIC_KEY_SIZE, True), repr=_hex
    )

    def __attrs_post_init__(self) -> None:
        if (self.signature is None) != (self.public_key is None):
            raise InvalidInput(
                "a checkpoint needs both signature and public_key, or neither (rule: a "
                "signature is checked with the key that made it); use Checkpoint.sign()"
            )
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise InvalidInput(
                f"a checkpoint of 0 entries must have the empty tree's root "
                f"{EMPTY_ROOT.hex()}, got {self.root.hex()} (rule: RFC 9162 MTH({{}})); "
                "compute the root with tree_head(entries)"
            )

    def statement(self) -> bytes:
        """The bytes that are signed: RFC 8785 canonical JSON of format, size, root (hex)
        and created_at (ISO 8601, UTC)."""
        return rfc8785.dumps(
            {
                "format": FORMAT,
                "size": self.size,
                "root": self.root.hex(),
                "created_at": self.created_at.isoformat(),
            }
        )

    def sign(self, private_key: Ed25519PrivateKey) -> Checkpoint:
        """A copy of this checkpoint signed with ``private_key`` (see :func:`load_private_key`)."""
        if not isinstance(private_key, Ed25519PrivateKey):
            raise SigningKeyUnusable(
                f"checkpoints are signed with Ed25519, got a {type(private_key).__name__}; "
                "load an Ed25519 key with load_private_key(path)"
            )
        return attrs.evolve(
            self,
            signature=private_key.sign(self.statement()),
            public_key=private_key.public_key().public_bytes_raw(),
        )

    def verify_signature(self, trusted_public_key: bytes | None = None) -> None:
        """Raise :class:`CheckpointSignatureInvalid` unless the signature is valid.

        With ``trusted_public_key`` (raw, 32 bytes) the checkpoint must also have been
        signed by that key. Without it, only the embedded key is used, which proves the
        checkpoint was not changed after signing, but not who signed it: anyone can sign
        a forged checkpoint with a key of their own. Auditors should pass the key.
        """
        if trusted_public_key is not None and (
            not isinstance(trusted_public_key, bytes) or len(trusted_public_key) != _PUBLIC_KEY_SIZE
        ):
            raise InvalidInput(
                f"trusted_public_key must be a raw Ed25519 public key of 32 bytes, got "
                f"{trusted_public_key!r:.80}; pass bytes.fromhex(the key's 64 hex digits)"
            )
        if self.signature is None or self.public_key is None:
            raise CheckpointSignatureInvalid(
                f"the checkpoint of {_entries(self.size)} at {self.created_at.isoformat()} "
                "is not signed; sign it with Checkpoint.sign(load_private_key(path))"
            )
        if trusted_public_key is not None and trusted_public_key != self.public_key:
            raise CheckpointSignatureInvalid(
                f"the checkpoint is signed by key {self.public_key.hex()}, not by the "
                f"trusted key {trusted_public_key.hex()}; it was made by someone else, or "
                "the signing key was changed: ask its holder for the new public key"
            )
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                self.signature, self.statement()
            )
        except (InvalidSignature, ValueError):
            raise CheckpointSignatureInvalid(
                f"the signature of the checkpoint of {_entries(self.size)} at "
                f"{self.created_at.isoformat()} does not match its statement: its size, "
                "root or time was changed after signing, or the signature was; get the "
                "original checkpoint from its signer"
            ) from None

    def to_json(self) -> str:
        """The checkpoint as a JSON object: the statement's fields, then, when signed,
        ``signature`` and ``public_key`` in hex."""
        fields: dict[str, object] = {
            "format": FORMAT,
            "size": self.size,
            "root": self.root.hex(),
            "created_at": self.created_at.isoformat(),
        }
        if self.signature is not None and self.public_key is not None:
            fields["signature"] = self.signature.hex()
            fields["public_key"] = self.public_key.hex()
        return json.dumps(fields, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read :meth:`to_json`'s format, strictly: an unknown format, a missing, unknown or
        repeated field, bad hex or a time without offset raises :class:`InvalidInput`."""
        try:
            data = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except json.JSONDecodeError as error:
            raise InvalidInput(
                f"a checkpoint is one JSON object; this text is not JSON ({error})"
            ) from None
        if not isinstance(data, dict):
            raise InvalidInput(
                f"a checkpoint is one JSON object, got {type(data).__name__} {text:.60}"
            )
        if data.get("format") != FORMAT:
            raise InvalidInput(
                f"unknown checkpoint format {data.get('format')!r}; this version of "
                f"casehistory reads {FORMAT!r} (a newer casehistory may read this one)"
            )
        missing = [name for name in _STATEMENT_FIELDS if name not in data]
        unknown = sorted(set(data) - {*_STATEMENT_FIELDS, *_SIGNATURE_FIELDS})
        if missing or unknown:
            raise InvalidInput(
                "checkpoint "
                + "; ".join(
                    [f"misses {', '.join(missing)}"] * bool(missing)
                    + [f"has unknown fields {', '.join(unknown)}"] * bool(unknown)
                )
                + f" (rule: {FORMAT} has exactly {', '.join(_STATEMENT_FIELDS)} and, when "
                "signed, signature and public_key); write it with Checkpoint.to_json()"
            )
        size = data["size"]
        if isinstance(size, bool) or not isinstance(size, int):
            raise InvalidInput(f"checkpoint size must be a whole JSON number, got {size!r}")
        return cls(
            size=size,
            root=_from_hex(data["root"], "root", HASH_SIZE),
            created_at=_from_iso(data["created_at"]),
            signature=_optional_hex(data, "signature", _SIGNATURE_SIZE),
            public_key=_optional_hex(data, "public_key", _PUBLIC_KEY_SIZE),
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` and a newline to the file ``path`` (UTF-8)."""
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """Read a checkpoint file; every problem is an :class:`InvalidInput` naming the file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InvalidInput(f"no checkpoint file at {path}; check the path") from None
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"cannot read checkpoint file {path}: {error}") from None
        try:
            return cls.from_json(text)
        except InvalidInput as error:
            raise InvalidInput(f"{path}: {error}") from None


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys silently; another reader might keep the first,
    # and then two programs would see two different checkpoints in one file.
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InvalidInput(
            f"checkpoint repeats the field {', '.join(repeated)} (rule: one value per "
            "field, so every reader sees the same checkpoint); keep one"
        )
    return dict(pairs)


_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def _from_hex(value: object, name: str, length: int) -> bytes:
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value) or len(value) != 2 * length:
        raise InvalidInput(
            f"checkpoint {name} must be {2 * length} lowercase hex digits ({length} bytes), "
            f"got {value!r:.140}; copy the value from the original checkpoint"
        )
    return bytes.fromhex(value)


def _optional_hex(data: dict[str, Any], name: str, length: int) -> bytes | None:
    return _from_hex(data[name], name, length) if name in data else None


def _from_iso(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise InvalidInput(
            f"checkpoint created_at must be an ISO 8601 time with a UTC offset, got "
            f"{value!r} (rule: checkpoint times are timezone-aware); write it like "
            "2026-11-01T08:00:00+00:00"
        )
    return parsed


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM (PKCS#8, unencrypted) file ``path``, as written
    by ``openssl genpkey -algorithm ed25519 -out key.pem``."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SigningKeyUnusable(
            f"no signing key file at {path}; create one with "
            f"`openssl genpkey -algorithm ed25519 -out {path}`"
        ) from None
    except OSError as error:
        raise SigningKeyUnusable(f"cannot read signing key file {path}: {error}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # what cryptography raises for an encrypted key without password
        raise SigningKeyUnusable(
            f"the signing key in {path} is encrypted; write an unencrypted copy with "
            f"`openssl pkey -in {path} -out plain.pem` and keep that one safe"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyUnusable(
            f"{path} holds no PEM private key; create one with "
            "`openssl genpkey -algorithm ed25519 -out key.pem`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyUnusable(
            f"{path} holds a {type(key).__name__}, not an Ed25519 key (rule: checkpoints "
            "are signed with Ed25519); create one with "
            "`openssl genpkey -algorithm ed25519 -out key.pem`"
        )
    return key


def generate_private_key_pem() -> bytes:
    """A new random Ed25519 private key as PEM (PKCS#8, unencrypted), for tests and demos."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def check_extends(checkpoint: Checkpoint, entries: Iterable[bytes]) -> None:
    """Raise :class:`CheckpointMismatch` unless the log's first ``checkpoint.size`` entries
    hash to ``checkpoint.root``.

    Streams ``entries`` in O(log n) memory and reads no further than ``checkpoint.size``
    entries; later entries are the log's growth and are not checked. The signature is
    not checked here (:meth:`Checkpoint.verify_signature`).
    """
    builder = TreeBuilder()
    for entry in islice(entries, checkpoint.size):
        builder.append(entry)
    check_head(checkpoint, builder.size, builder.root())


def check_head(checkpoint: Checkpoint, log_size: int, root: bytes) -> None:
    """Raise :class:`CheckpointMismatch` unless a log of ``log_size`` entries whose first
    ``min(log_size, checkpoint.size)`` entries hash to ``root`` extends ``checkpoint``.

    For a reader that computes tree heads itself while streaming the log (one pass
    checking several checkpoints and the hash chains at once)."""
    if log_size < checkpoint.size:
        raise CheckpointMismatch(
            f"the log has only {_entries(log_size)}; the checkpoint of "
            f"{checkpoint.created_at.isoformat()} covers {checkpoint.size} (a truncated "
            "tail?); restore the missing events from a backup, or check that the "
            "checkpoint belongs to this log"
        )
    if root != checkpoint.root:
        raise CheckpointMismatch(
            f"the first {_entries(checkpoint.size)} hash to {root.hex()}, the checkpoint of "
            f"{checkpoint.created_at.isoformat()} says {checkpoint.root.hex()} (an event "
            "was rewritten, deleted or reordered); compare the log with a backup, or "
            "with earlier checkpoints to find the first changed entry"
        )


def check_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise :class:`CheckpointMismatch` unless ``proof`` shows that the log of ``new`` extends
    the log of ``old`` (a consistency proof, see
    :func:`~casehistory.audit.merkle.consistency_proof`). Signatures are not checked here."""
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
            f"{old.root.hex()} then {new.root.hex()} (an event was rewritten, deleted or "
            "reordered between them); compare the log with a backup"
        )
    raise CheckpointMismatch(
        f"the proof does not show that the checkpoint of {_entries(new.size)} "
        f"({new.root.hex()}) extends the checkpoint of {_entries(old.size)} "
        f"({old.root.hex()}): an entry before {old.size} was rewritten, deleted or "
        "reordered, or the proof was made for other sizes; recompute it with "
        f"consistency_proof(entries, {old.size}, {new.size})"
    )


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"
