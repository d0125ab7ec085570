"""The legacy checkpoint format ``casehistory-checkpoint/1`` (a JSON object), read only.

casehistory wrote this format before checkpoints became C2SP signed notes
(:mod:`casehistory.audit.checkpoint`); files of it are still read and checked, and
reported as the legacy format, so that checkpoints kept by auditors stay useful. It
names no store (no origin) and no case heads, and its time is not held against store
times. The signature (Ed25519) covers the RFC 8785 canonical JSON of ``format``,
``size``, ``root`` (hex) and ``created_at``, and the file carries its own public key.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from casehistory.audit.merkle import HASH_SIZE
from casehistory.audit.note import VerifierKey
from casehistory.errors import CheckpointSignatureInvalid, InvalidInput

__all__ = ["LEGACY_FORMAT", "LegacyCheckpoint"]

LEGACY_FORMAT = "casehistory-checkpoint/1"
"""The ``format`` field of the legacy JSON checkpoints."""

_SIGNATURE_SIZE = 64
_PUBLIC_KEY_SIZE = 32
_STATEMENT_FIELDS = ("format", "size", "root", "created_at")
_SIGNATURE_FIELDS = ("signature", "public_key")
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@attrs.frozen
class LegacyCheckpoint:
    """A checkpoint read from a ``casehistory-checkpoint/1`` file."""

    size: int
    root: bytes = attrs.field(repr=bytes.hex)
    created_at: datetime = attrs.field(converter=_utc)
    signature: bytes | None = attrs.field(default=None, repr=False)
    public_key: bytes | None = attrs.field(default=None, repr=False)

    origin: ClassVar[str | None] = None
    """Legacy checkpoints name no store."""
    format_name: ClassVar[str] = "legacy casehistory-checkpoint/1"

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def statement(self) -> bytes:
        """The bytes that were signed."""
        return rfc8785.dumps(
            {
                "format": LEGACY_FORMAT,
                "size": self.size,
                "root": self.root.hex(),
                "created_at": self.created_at.isoformat(),
            }
        )

    def sign(self, private_key: Ed25519PrivateKey) -> LegacyCheckpoint:
        """A signed copy, as the old ``checkpoint --key`` made them (for tests)."""
        return attrs.evolve(
            self,
            signature=private_key.sign(self.statement()),
            public_key=private_key.public_key().public_bytes_raw(),
        )

    def to_json(self) -> str:
        """The file as the old format wrote it (for tests and fixtures)."""
        fields: dict[str, object] = json.loads(self.statement())
        fields = {name: fields[name] for name in _STATEMENT_FIELDS}
        if self.signature is not None and self.public_key is not None:
            fields["signature"] = self.signature.hex()
            fields["public_key"] = self.public_key.hex()
        return json.dumps(fields, indent=2)

    def verify_signature(self, trusted: VerifierKey | None = None) -> str:
        """Check the signature (with ``trusted`` if given, else with the embedded key) and
        say what it proves; :class:`CheckpointSignatureInvalid` when it fails."""
        if self.signature is None or self.public_key is None:
            if trusted is not None:
                raise CheckpointSignatureInvalid(
                    f"the legacy checkpoint of {self.size} entries is unsigned, and "
                    f"{trusted.describe()} is pinned (rule: with a trusted key, only its "
                    "signature counts); make a signed checkpoint with `checkpoint --key`"
                )
            return "unsigned"
        if trusted is not None and trusted.public_key != self.public_key:
            raise CheckpointSignatureInvalid(
                f"the legacy checkpoint is signed by key {self.public_key.hex()}, not by "
                f"the trusted key {trusted.describe()}; it was made by someone else, or the "
                "signing key was changed: ask its holder for the new public key"
            )
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                self.signature, self.statement()
            )
        except (InvalidSignature, ValueError):
            raise CheckpointSignatureInvalid(
                f"the signature of the legacy checkpoint of {self.size} entries does not "
                "match its statement: its size, root or time was changed after signing; "
                "get the original checkpoint from its signer"
            ) from None
        if trusted is not None:
            return f"signed by the trusted key {trusted.describe()}"
        return f"signed by an unpinned key {self.public_key.hex()} (not verified: pin it)"

    @classmethod
    def from_json(cls, text: str) -> LegacyCheckpoint:
        """Read the legacy file strictly: an unknown format, a missing, unknown or repeated
        field, bad hex or a time without offset raises :class:`InvalidInput`."""
        try:
            data = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except json.JSONDecodeError as error:
            raise InvalidInput(
                f"a legacy checkpoint is one JSON object; not JSON ({error})"
            ) from None
        if not isinstance(data, dict) or data.get("format") != LEGACY_FORMAT:
            raise InvalidInput(
                f"not a {LEGACY_FORMAT!r} checkpoint; checkpoints are C2SP signed notes now, "
                "and the only JSON form read is the legacy one"
            )
        missing = [name for name in _STATEMENT_FIELDS if name not in data]
        unknown = sorted(set(data) - {*_STATEMENT_FIELDS, *_SIGNATURE_FIELDS})
        if missing or unknown or (("signature" in data) != ("public_key" in data)):
            raise InvalidInput(
                f"legacy checkpoint misses {missing} or has unknown fields {unknown} (rule: "
                f"{LEGACY_FORMAT} has exactly {', '.join(_STATEMENT_FIELDS)} and, when "
                "signed, signature and public_key)"
            )
        size = data["size"]
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size < 2**53:
            raise InvalidInput(
                f"legacy checkpoint size must be a whole number from 1 to 2**53 - 1, got "
                f"{size!r} (rule: a checkpoint of no entry pins nothing)"
            )
        return cls(
            size=size,
            root=_from_hex(data["root"], "root", HASH_SIZE),
            created_at=_from_iso(data["created_at"]),
            signature=_optional_hex(data, "signature", _SIGNATURE_SIZE),
            public_key=_optional_hex(data, "public_key", _PUBLIC_KEY_SIZE),
        )


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys; another reader might keep the first.
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InvalidInput(
            f"legacy checkpoint repeats the field {', '.join(repeated)} (rule: one value per "
            "field, so every reader sees the same checkpoint)"
        )
    return dict(pairs)


def _from_hex(value: object, name: str, length: int) -> bytes:
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value) or len(value) != 2 * length:
        raise InvalidInput(
            f"legacy checkpoint {name} must be {2 * length} lowercase hex digits, got "
            f"{value!r:.140}"
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
            f"legacy checkpoint created_at must be an ISO 8601 time with a UTC offset, got "
            f"{value!r}"
        )
    return parsed
