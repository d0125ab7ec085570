"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, as Go's
``golang.org/x/mod/sumdb/note`` reads and writes them.

A signed note is a UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <key name> <base64(key ID || signature)>``. The key ID is the first
four bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key); the
signature is Ed25519 (RFC 8032) over the text, final newline included. Keys have a
text form: the verifier key ``<name>+<key ID, 8 hex digits>+<base64(0x01 || public
key)>`` and the signer key ``PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>``.

Checkpoints (:mod:`casehistory.audit.checkpoint`) are signed notes; this module knows
nothing of their text. Keys are also read from PEM files (Ed25519 only), the form
casehistory used before: a PEM key has no name of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from pathlib import Path

import attrs
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from casehistory.errors import InvalidInput, SigningKeyUnusable

__all__ = [
    "ED25519",
    "EM_DASH",
    "NoteSignature",
    "SignedNote",
    "SignerKey",
    "VerifierKey",
    "key_id",
    "load_signer_key",
    "load_verifier_key",
    "write_key_pair",
]

ED25519 = 0x01
"""The signature type byte of Ed25519 in the key ID and in key texts."""

EM_DASH = "\u2014"
"""The first character of every signature line (U+2014), followed by a space."""

_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_MOST_SIGNATURES = 100  # the spec asks verifiers to bound them, and to take at least 16
_HEX8 = re.compile(r"[0-9a-f]{8}")
_PRIVATE = "PRIVATE+KEY+"


def _valid_name(name: object) -> bool:
    # Names sit between spaces on a signature line and between + in key texts.
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch.isspace() or ch < " " for ch in name)
    )


def _require_name(name: object, what: str) -> str:
    if not _valid_name(name):
        raise InvalidInput(
            f"{what} {name!r:.80} is not a key name (rule: C2SP signed-note key names are "
            "non-empty, with no space and no '+'); use a name like example.com/log"
        )
    assert isinstance(name, str)
    return name


def _b64decode(text: str) -> bytes | None:
    # Standard base64 with padding, and only the one spelling that encodes back the same.
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode("ascii") == text else None


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4]: the Ed25519 key ID of the spec."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


@attrs.frozen
class NoteSignature:
    """One signature line of a note: the key name, the 4-byte key ID, the signature."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        """The line as the note carries it, without its newline."""
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{EM_DASH} {self.name} {encoded}"

    @classmethod
    def parse(cls, line: str) -> NoteSignature:
        """Read one signature line (no newline); :class:`InvalidInput` if malformed."""
        parts = line.split(" ")
        raw = _b64decode(parts[2]) if len(parts) == 3 else None
        if parts[0] != EM_DASH or raw is None or len(raw) < 5 or not _valid_name(parts[1]):
            raise InvalidInput(
                f"{line!r:.120} is not a signature line (rule: C2SP signed-note lines are "
                "an em dash, a space, a key name, a space and base64(key ID || signature))"
            )
        return cls(parts[1], raw[:4], raw[4:])


@attrs.frozen
class VerifierKey:
    """An Ed25519 public key with its key name: what an auditor pins.

    ``name`` is None for a key read from a PEM file, which has no name: it then stands
    for any signature line whose key ID is that of this key under the line's name.
    """

    public_key: bytes = attrs.field(repr=lambda key: key.hex())
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _KEY_SIZE:
            raise InvalidInput(
                f"an Ed25519 public key is {_KEY_SIZE} bytes, got {self.public_key!r:.80}"
            )
        if self.name is not None:
            _require_name(self.name, "verifier key name")

    @property
    def text(self) -> str:
        """``<name>+<key ID hex>+<base64(0x01 || public key)>``, the form Go's note writes."""
        if self.name is None:
            raise InvalidInput(
                "a key read from PEM has no name, so no verifier key text; write one with "
                "`casehistory keygen --name NAME -o FILE`"
            )
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{key_id(self.name, self.public_key).hex()}+{encoded}"

    def describe(self) -> str:
        """How messages name the key: ``name+keyid``, or the raw key for a PEM key."""
        if self.name is None:
            return f"the PEM key {self.public_key.hex()}"
        return f"{self.name}+{key_id(self.name, self.public_key).hex()}"

    def matches(self, signature: NoteSignature) -> bool:
        """Whether the signature line claims to be by this key (by name and key ID)."""
        if self.name is not None and signature.name != self.name:
            return False
        return signature.key_id == key_id(signature.name, self.public_key)

    def verifies(self, text: str, signature: NoteSignature) -> bool:
        """Whether ``signature`` is this key's valid Ed25519 signature of ``text``."""
        if not self.matches(signature) or len(signature.signature) != _SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature.signature, text.encode("utf-8")
            )
        except InvalidSignature:
            return False
        return True

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Read the verifier key text form; :class:`InvalidInput` names what is wrong."""
        parts = _key_parts(text)
        if parts is None:
            raise InvalidInput(
                f"{text!r:.120} is not an Ed25519 verifier key (rule: name+8 hex digits+"
                "base64 of 0x01 and 32 key bytes, as `casehistory keygen` writes to FILE.pub)"
            )
        name, given, raw = parts
        key = cls(raw, name)
        if key_id(name, raw).hex() != given:
            raise InvalidInput(
                f"verifier key {text!r:.120} has key ID {given}, but its name and key "
                f"give {key_id(name, raw).hex()} (rule: the ID is SHA-256 of name, "
                "newline, 0x01 and key); copy the key again from its FILE.pub"
            )
        return key


@attrs.frozen
class SignerKey:
    """An Ed25519 private key (its 32-byte seed) and the key name it signs as.

    ``name`` is None for a key read from PEM: :meth:`sign` then needs a name."""

    seed: bytes = attrs.field(repr=False)
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.seed, bytes) or len(self.seed) != _KEY_SIZE:
            raise InvalidInput("an Ed25519 private key seed is 32 bytes")
        if self.name is not None:
            _require_name(self.name, "signer key name")

    @classmethod
    def generate(cls, name: str) -> SignerKey:
        """A new random key named ``name``."""
        _require_name(name, "key name")
        return cls(Ed25519PrivateKey.generate().private_bytes_raw(), name)

    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key(self) -> bytes:
        return self._private().public_key().public_bytes_raw()

    def verifier(self) -> VerifierKey:
        """The matching verifier key (same name)."""
        return VerifierKey(self.public_key, self.name)

    @property
    def text(self) -> str:
        """``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || seed)>``."""
        name = _require_name(self.name, "signer key name")
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode("ascii")
        return f"{_PRIVATE}{name}+{key_id(name, self.public_key).hex()}+{encoded}"

    def sign(self, text: str, name: str | None = None) -> NoteSignature:
        """Sign a note text (which ends in a newline) as ``name`` (default: the key's)."""
        signer = _require_name(name if name is not None else self.name, "signer key name")
        if not text.endswith("\n"):
            raise InvalidInput("a note text ends with a newline (rule: C2SP signed-note)")
        signature = self._private().sign(text.encode("utf-8"))
        return NoteSignature(signer, key_id(signer, self.public_key), signature)

    @classmethod
    def parse(cls, text: str) -> SignerKey:
        """Read the signer key text form; :class:`SigningKeyUnusable` if malformed."""
        parts = _key_parts(text[len(_PRIVATE) :]) if text.startswith(_PRIVATE) else None
        if parts is None:
            raise SigningKeyUnusable(
                "this is not an Ed25519 signer key (rule: PRIVATE+KEY+name+8 hex digits+"
                "base64 of 0x01 and the 32-byte seed); create one with "
                "`casehistory keygen --name NAME -o FILE`"
            )
        name, given, seed = parts
        key = cls(seed, name)
        if key_id(name, key.public_key).hex() != given:
            raise SigningKeyUnusable(
                f"the signer key named {name} has key ID {given}, but its seed gives "
                f"{key_id(name, key.public_key).hex()} (the file was changed); "
                "restore it from its backup"
            )
        return key


def _key_parts(text: str) -> tuple[str, str, bytes] | None:
    """``name+<8 hex digits>+<base64 of 0x01 and 32 bytes>`` (both key forms, the signer's
    after its ``PRIVATE+KEY+``): the name, the key ID as written, the 32 bytes; None if
    the text has another shape."""
    parts = text.split("+", 2)  # base64 may hold + too
    raw = _b64decode(parts[2]) if len(parts) == 3 else None
    if (
        len(parts) != 3
        or not _valid_name(parts[0])
        or not _HEX8.fullmatch(parts[1])
        or raw is None
        or len(raw) != 1 + _KEY_SIZE
        or raw[0] != ED25519
    ):
        return None
    return parts[0], parts[1], raw[1:]


@attrs.frozen
class SignedNote:
    """A note text and its signature lines (in the order they appear)."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __str__(self) -> str:
        lines = "".join(signature.line + "\n" for signature in self.signatures)
        return f"{self.text}\n{lines}"

    @classmethod
    def parse(cls, note: str) -> SignedNote:
        """Read a signed note strictly; :class:`InvalidInput` says which rule it breaks."""
        bad = next((ch for ch in note if ch < " " and ch != "\n"), None)
        if bad is not None:
            raise InvalidInput(
                f"a signed note holds no control character but newline, found {bad!r} "
                "(rule: C2SP signed-note)"
            )
        split = note.rfind("\n\n")
        if not note.endswith("\n") or split < 0:
            raise InvalidInput(
                "a signed note is a text ending in a newline, a blank line and signature "
                "lines, each ending in a newline (rule: C2SP signed-note); this has no "
                "blank line or no final newline"
            )
        lines = note[split + 2 : -1].split("\n")
        if len(lines) > _MOST_SIGNATURES:
            raise InvalidInput(f"a note with {len(lines)} signatures; at most 100 are read")
        return cls(note[: split + 1], tuple(NoteSignature.parse(line) for line in lines))


def _read(path: str | os.PathLike[str], error: type[Exception]) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise error(
            f"no key file at {path}; create a key pair with "
            f"`casehistory keygen --name NAME -o {path}`"
        ) from None
    except OSError as failure:
        raise error(f"cannot read key file {path}: {failure}") from None


def load_signer_key(path: str | os.PathLike[str]) -> SignerKey:
    """The signer key in the file ``path``: the text form ``casehistory keygen`` writes,
    or an unencrypted PEM (PKCS#8) Ed25519 private key (name None)."""
    data = _read(path, SigningKeyUnusable)
    if data.startswith(b"-----BEGIN"):
        return SignerKey(_pem_private(data, path).private_bytes_raw())
    try:
        return SignerKey.parse(data.decode("utf-8").strip())
    except (UnicodeDecodeError, SigningKeyUnusable) as error:
        raise SigningKeyUnusable(f"{path}: {error}") from None


def _pem_private(data: bytes, path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # what cryptography raises for an encrypted key without password
        raise SigningKeyUnusable(
            f"the signing key in {path} is encrypted; write an unencrypted copy with "
            f"`openssl pkey -in {path} -out plain.pem`, or make a new key with "
            "`casehistory keygen`"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyUnusable(
            f"{path} holds no PEM private key; create a key with `casehistory keygen`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyUnusable(
            f"{path} holds a {type(key).__name__}, not an Ed25519 key (rule: checkpoints "
            "are signed with Ed25519); create a key with `casehistory keygen`"
        )
    return key


def load_verifier_key(path: str | os.PathLike[str]) -> VerifierKey:
    """The verifier key in the file ``path``: the text form (``FILE.pub`` of
    ``casehistory keygen``), or a PEM Ed25519 public key (name None)."""
    data = _read(path, InvalidInput)
    if data.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInput(
                f"{path} holds no PEM Ed25519 public key; pass the FILE.pub that "
                "`casehistory keygen` wrote, or `openssl pkey -in key.pem -pubout`"
            )
        return VerifierKey(key.public_bytes_raw())
    try:
        return VerifierKey.parse(data.decode("utf-8").strip())
    except (UnicodeDecodeError, InvalidInput) as error:
        raise InvalidInput(f"{path}: {error}") from None


def write_key_pair(key: SignerKey, path: str | os.PathLike[str]) -> Path:
    """Write ``key``'s text to ``path`` (mode 0600) and its verifier key to ``path.pub``;
    return the latter. Refuses (:class:`InvalidInput`) to overwrite either file."""
    secret, public = Path(path), Path(f"{path}.pub")
    for target in (secret, public):
        if target.exists():
            raise InvalidInput(
                f"{target} already exists; keygen never overwrites a key (a lost signing "
                "key cannot be recovered): choose another file name"
            )
    try:
        # O_EXCL: not even a file created between the check and here is overwritten.
        handle = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(key.text + "\n")
        with public.open("x", encoding="utf-8") as out:
            out.write(key.verifier().text + "\n")
    except OSError as error:
        raise InvalidInput(f"cannot write the key pair to {path}: {error}") from None
    return public
