"""A small C2SP signed-note and tlog-checkpoint verifier and signer, written from the
spec texts (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) for the tests alone.

It deliberately shares no code with ``casehistory.audit.note`` or
``casehistory.audit.checkpoint``: it imports only the standard library and the
Ed25519 primitive, so a mistake in our note module cannot hide in both.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DASH = "\u2014 "


class Rejected(Exception):
    """The note or key breaks a rule of the spec, or no trusted signature verifies."""


def ed25519_key_id(name: str, public: bytes) -> bytes:
    # "key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]"
    return hashlib.sha256(name.encode("utf-8") + b"\x0a" + b"\x01" + public).digest()[0:4]


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """(name, key ID, public key) of a verifier key ``name+hexid+base64(0x01||key)``."""
    name, sep, rest = vkey.partition("+")
    hex_id, sep2, b64 = rest.partition("+")
    if not (sep and sep2) or not name or len(hex_id) != 8:
        raise Rejected(f"bad verifier key {vkey!r}")
    blob = base64.standard_b64decode(b64.encode("ascii"))
    if len(blob) != 33 or blob[0] != 1:
        raise Rejected("not an Ed25519 verifier key")
    key_id = bytes.fromhex(hex_id)
    if ed25519_key_id(name, blob[1:]) != key_id:
        raise Rejected("key ID does not match")
    return name, key_id, blob[1:]


def sign_note(text: str, skey: str) -> str:
    """Sign ``text`` with a Go-style ``PRIVATE+KEY+name+hexid+base64(0x01||seed)`` key."""
    fields = skey.split("+", 4)
    if fields[:2] != ["PRIVATE", "KEY"] or len(fields) != 5:
        raise Rejected("bad signer key")
    name, blob = fields[2], base64.standard_b64decode(fields[4])
    private = Ed25519PrivateKey.from_private_bytes(blob[1:])
    public = private.public_key().public_bytes_raw()
    signature = private.sign(text.encode("utf-8"))
    blob = ed25519_key_id(name, public) + signature
    return text + "\n" + DASH + name + " " + base64.standard_b64encode(blob).decode() + "\n"


def open_note(note: bytes, vkey: str) -> str:
    """The text of ``note`` if a signature by ``vkey`` verifies; :class:`Rejected` else."""
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("not UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in decoded):
        raise Rejected("control character")
    cut = decoded.rfind("\n\n")
    if cut < 0 or not decoded.endswith("\n"):
        raise Rejected("no signature block")
    text, block = decoded[: cut + 1], decoded[cut + 2 :]
    name, key_id, public = parse_vkey(vkey)
    verified = False
    for line in block.splitlines():
        if not line.startswith(DASH):
            raise Rejected(f"malformed signature line {line!r}")
        signer, _, b64 = line[len(DASH) :].rpartition(" ")
        blob = base64.standard_b64decode(b64)
        if signer != name or blob[:4] != key_id:
            continue  # "Verifiers MUST ignore signatures from unknown keys"
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Rejected("a signature from the known key fails") from None
        verified = True
    if not verified:
        raise Rejected("no signature from the known key")
    return text


def open_checkpoint(note: bytes, vkey: str) -> tuple[str, int, bytes, list[str]]:
    """(origin, tree size, root hash, extension lines) of a verified checkpoint."""
    lines = open_note(note, vkey).split("\n")[:-1]
    if len(lines) < 3 or any(line == "" for line in lines):
        raise Rejected("a checkpoint has at least three non-empty lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or (size.startswith("0") and size != "0"):
        raise Rejected("tree size is not decimal without leading zeroes")
    return origin, int(size), base64.standard_b64decode(root), lines[3:]
