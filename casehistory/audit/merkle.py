"""Merkle tree heads and proofs over an append-only log, exactly as RFC 9162, section 2.1.

A log is a sequence of entries (``bytes``), d(0) to d(n-1). Its tree head, MTH(D[n]),
is one SHA-256 hash that changes if any entry is changed, removed, inserted or moved.
Leaves and interior nodes are hashed with different prefixes (0x00 and 0x01), so a leaf
can never pass for a node. Two kinds of proof let a verifier check a log without
reading all of it:

- an *inclusion proof* shows that an entry is at a given index of a tree of a given
  size (§2.1.3);
- a *consistency proof* shows that a tree of ``old_size`` entries is a prefix of a tree
  of ``new_size`` entries: the log only grew, nothing before ``old_size`` was changed
  (§2.1.4).

Proof generators take the entries and raise :class:`~casehistory.errors.InvalidInput`
for sizes and indices out of range; verifiers take only hashes and return ``False``
wherever the RFC says "fail". Pure: ``hashlib`` only, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from casehistory.errors import InvalidInput

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TreeBuilder",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "tree_head",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}), the tree head of an empty log: the SHA-256 of nothing."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one entry as a leaf of the tree."""
    digest = hashlib.sha256(_LEAF_PREFIX)
    digest.update(entry)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node from its two children."""
    digest = hashlib.sha256(_NODE_PREFIX)
    digest.update(left)
    digest.update(right)
    return digest.digest()


class TreeBuilder:
    """Computes the tree head of a log one entry at a time, in O(log n) memory.

    :meth:`root` can be read at any moment (it does not change the builder), so a
    verifier streaming millions of entries can compare the root at size N with a
    checkpoint of size N and carry on.

    The builder keeps the roots of the perfect subtrees (2**h leaves each) that make
    up the entries so far, largest first: one per 1 bit of :attr:`size`.
    """

    __slots__ = ("_size", "_subtrees")

    def __init__(self) -> None:
        self._size = 0
        self._subtrees: list[bytes] = []

    @property
    def size(self) -> int:
        """How many entries were appended."""
        return self._size

    def append(self, entry: bytes) -> None:
        """Add the next entry of the log (the raw entry; it is leaf-hashed here)."""
        if not isinstance(entry, bytes | bytearray | memoryview):
            raise InvalidInput(
                f"a log entry must be bytes, got {type(entry).__name__} {entry!r:.60}; "
                "encode it first, e.g. text.encode('utf-8')"
            )
        node = leaf_hash(entry)
        self._size += 1
        # Like adding 1 in binary: each trailing 0 bit of the new size is a carry that
        # merges the two youngest subtrees of equal height into one twice as large.
        carries = self._size
        while carries & 1 == 0:
            node = node_hash(self._subtrees.pop(), node)
            carries >>= 1
        self._subtrees.append(node)

    def root(self) -> bytes:
        """MTH of the entries appended so far (:data:`EMPTY_ROOT` before the first)."""
        if not self._subtrees:
            return EMPTY_ROOT
        # Merged right to left, because RFC 9162 splits n leaves at k, the largest power
        # of two below n: the largest subtree is the left child of the root, and the
        # remaining smaller subtrees form, recursively, its right child.
        node = self._subtrees[-1]
        for left in reversed(self._subtrees[:-1]):
            node = node_hash(left, node)
        return node

    def __repr__(self) -> str:
        return f"TreeBuilder(size={self._size})"


def tree_head(entries: Iterable[bytes]) -> bytes:
    """MTH(D[n]) of the entries (raw entries, leaf-hashed here), streaming."""
    builder = TreeBuilder()
    for entry in entries:
        builder.append(entry)
    return builder.root()


def inclusion_proof(entries: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, over the first ``size`` entries.

    The hashes are in the RFC's order: the sibling of the leaf first, the child of the
    root last. Raises :class:`InvalidInput` unless ``0 <= index < size <= len(entries)``.
    """
    _require_count(index, "index")
    _require_within(entries, size, "size")
    if index >= size:
        raise InvalidInput(
            f"index {index} is outside a tree of {size} entries (rule: RFC 9162 §2.1.3 "
            f"proves the inclusion of an entry 0 <= index < size); "
            + (f"use an index below {size}" if size else "an empty tree includes no entry")
        )
    return _path(entries, index, 0, size)


def consistency_proof(entries: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1: the first ``old_size`` entries
    of the tree of ``new_size`` entries are the tree of ``old_size`` entries.

    Empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove). Raises
    :class:`InvalidInput` unless ``0 <= old_size <= new_size <= len(entries)``.
    """
    _require_count(old_size, "old_size")
    _require_within(entries, new_size, "new_size")
    if old_size > new_size:
        raise InvalidInput(
            f"old_size {old_size} exceeds new_size {new_size} (rule: RFC 9162 §2.1.4 "
            "proves that an older, smaller tree is a prefix of a newer one); "
            "give the smaller size first"
        )
    if old_size == 0:
        return []
    return _subproof(entries, old_size, 0, new_size, old_root_known=True)


def verify_inclusion(
    index: int, size: int, entry: bytes, root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows ``entry`` at ``index`` of the tree of ``size`` entries
    whose head is ``root``: RFC 9162 §2.1.3.2, step by step.

    ``entry`` is the raw entry (it is leaf-hashed here, like everywhere in this module).
    Returns ``False`` wherever the RFC says "fail", including ``index >= size``. The proof
    binds the entry to the root; the size only says how to combine the hashes, so check
    ``size`` with the root (a signed checkpoint), not with the proof.
    """
    _require_count(index, "index")
    _require_count(size, "size")
    if index >= size or not _all_hashes(proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash(entry)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # fn is the last node of its level: skip the levels where it has no sibling.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that the tree of ``old_size`` entries with head ``old_root``
    is a prefix of the tree of ``new_size`` entries with head ``new_root``: RFC 9162
    §2.1.4.2, step by step.

    The RFC covers ``0 < old_size < new_size``; the edges follow from the definitions:
    equal sizes need an empty proof and equal roots, and ``old_size`` 0 needs an empty
    proof and ``old_root == EMPTY_ROOT`` (the only head an empty tree has). A smaller
    ``new_size`` is ``False``: a log never shrinks.
    """
    _require_count(old_size, "old_size")
    _require_count(new_size, "new_size")
    if old_size > new_size or not _all_hashes(proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:  # step 1
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2: the old tree is a subtree of the new one
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0  # step 7


def _split(n: int) -> int:
    """k of RFC 9162: the largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(entries: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]), without copying the entries."""
    builder = TreeBuilder()
    for i in range(start, end):
        builder.append(entries[i])
    return builder.root()


def _path(entries: Sequence[bytes], index: int, start: int, end: int) -> list[bytes]:
    """PATH(index, D[start:end]); index is relative to start."""
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*_path(entries, index, start, start + k), _subtree_root(entries, start + k, end)]
    return [*_path(entries, index - k, start + k, end), _subtree_root(entries, start, start + k)]


def _subproof(
    entries: Sequence[bytes], m: int, start: int, end: int, *, old_root_known: bool
) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b), with b named for what it means: the verifier already
    has MTH(D[start:start + m]) (the old tree head), so it need not be sent."""
    n = end - start
    if m == n:
        return [] if old_root_known else [_subtree_root(entries, start, end)]
    k = _split(n)
    if m <= k:
        left = _subproof(entries, m, start, start + k, old_root_known=old_root_known)
        return [*left, _subtree_root(entries, start + k, end)]
    right = _subproof(entries, m - k, start + k, end, old_root_known=False)
    return [*right, _subtree_root(entries, start, start + k)]


def _require_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(
            f"{name} must be an int >= 0, got {value!r} (rule: RFC 9162 counts entries "
            "and indices from 0); pass a whole number of entries"
        )
    return value


def _require_within(entries: Sequence[bytes], size: object, name: str) -> int:
    count = _require_count(size, name)
    if count > len(entries):
        raise InvalidInput(
            f"{name} {count} exceeds the {len(entries)} entries given (rule: a proof is "
            f"computed from the entries themselves); pass the log's first {count} entries "
            "or a smaller size"
        )
    return count


def _all_hashes(proof: Sequence[bytes]) -> bool:
    return all(isinstance(p, bytes) and len(p) == HASH_SIZE for p in proof)
