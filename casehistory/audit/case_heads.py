"""The case-head tree: one RFC 9162 Merkle tree over the last event of every case.

The log's tree (:mod:`casehistory.audit.merkle` over the event digests in log order)
proves that an event is in the log, but not that it is its case's *last* event up to
a checkpoint: a bundle could drop a case's tail, or a whole case, and every inclusion
proof it still carries would verify. A checkpoint therefore also commits to a second
tree, whose leaves are the heads of the cases among its first ``size`` log entries:

``leaf = case_id.bytes (16) || version (8 bytes, big-endian) || head digest (32)``

one leaf per case, ordered by the 16 case-id bytes ascending (unsigned, byte by byte),
where the head is the case's last event among the first ``size`` log entries (in a
sound log, the one with the highest version). Leaves are hashed as RFC 9162 leaves
(0x00 prefix) like any entry. An inclusion proof of one leaf in this tree, against the
root the signed checkpoint carries, proves which version and digest a case had at the
checkpoint; the leaf count proves how many cases there were. The exact rules are in
docs/checkpoints.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import attrs

from casehistory.audit.merkle import (
    HASH_SIZE,
    inclusion_proof,
    tree_head,
    verify_inclusion,
)
from casehistory.audit.scan import LogEntry
from casehistory.errors import InvalidInput

__all__ = [
    "CASE_HEAD_LEAF_SIZE",
    "CaseHead",
    "CaseHeads",
    "verify_case_head",
]

CASE_HEAD_LEAF_SIZE = 16 + 8 + HASH_SIZE
"""Bytes in one leaf of the case-head tree: 56."""

_LARGEST_VERSION = 2**64 - 1


@attrs.frozen
class CaseHead:
    """The last event of a case up to a checkpoint: its version and its digest."""

    case_id: UUID
    version: int
    digest: bytes
    """The 32 bytes of the event's digest (its leaf in the log's tree)."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.case_id, UUID):
            raise InvalidInput(f"a case head needs a UUID case id, got {self.case_id!r:.60}")
        if (
            isinstance(self.version, bool)
            or not isinstance(self.version, int)
            or not 1 <= self.version <= _LARGEST_VERSION
        ):
            raise InvalidInput(
                f"a case head's version must be an int from 1 to 2**64 - 1, got "
                f"{self.version!r:.60} (rule: versions count a case's events from 1)"
            )
        if not isinstance(self.digest, bytes) or len(self.digest) != HASH_SIZE:
            raise InvalidInput(
                f"a case head's digest must be {HASH_SIZE} bytes, got {self.digest!r:.80}; "
                "pass bytes.fromhex(event digest)"
            )

    @property
    def leaf(self) -> bytes:
        """The entry of this head in the case-head tree (56 bytes)."""
        return self.case_id.bytes + self.version.to_bytes(8, "big") + self.digest

    @classmethod
    def from_leaf(cls, leaf: bytes) -> CaseHead:
        """The head a 56-byte leaf stands for; :class:`InvalidInput` for any other length."""
        if not isinstance(leaf, bytes) or len(leaf) != CASE_HEAD_LEAF_SIZE:
            raise InvalidInput(
                f"a case-head leaf is {CASE_HEAD_LEAF_SIZE} bytes (case id, version, digest), "
                f"got {leaf!r:.80}"
            )
        return cls(UUID(bytes=leaf[:16]), int.from_bytes(leaf[16:24], "big"), leaf[24:])


class CaseHeads:
    """Builds the case-head tree of the first ``size`` log entries, fed in log order.

    Feed it every :class:`~casehistory.audit.scan.LogEntry` of a pass over the log
    (``scan_log(desk, entry=heads.add)``); entries at a position of ``size`` or more are
    ignored, so one pass can serve a checkpoint of an older size. ``size=None`` takes
    every entry. Memory: one head per case.
    """

    __slots__ = ("_heads", "_leaves", "_limit", "_seen")

    def __init__(self, size: int | None = None) -> None:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise InvalidInput(f"size must be a whole number of log entries, got {size!r}")
        self._limit = size
        self._heads: dict[UUID, CaseHead] = {}
        self._seen = 0
        self._leaves: list[bytes] | None = None

    @property
    def entries(self) -> int:
        """How many log entries were taken (at most ``size``)."""
        return self._seen

    def add(self, entry: LogEntry) -> None:
        """Take the next log entry; a later event of a case replaces its head."""
        if self._limit is not None and entry.position >= self._limit:
            return
        self._seen += 1
        self._leaves = None
        self._heads[entry.case_id] = CaseHead(entry.case_id, entry.version, entry.leaf)

    def heads(self) -> list[CaseHead]:
        """Every case's head, in leaf order (case id bytes ascending)."""
        return [self._heads[case_id] for case_id in sorted(self._heads, key=lambda c: c.bytes)]

    def leaves(self) -> list[bytes]:
        """The tree's entries, in order: :attr:`CaseHead.leaf` of each head."""
        if self._leaves is None:
            self._leaves = [head.leaf for head in self.heads()]
        return self._leaves

    def __len__(self) -> int:
        return len(self._heads)

    def root(self) -> bytes:
        """MTH of :meth:`leaves` (RFC 9162); ``EMPTY_ROOT`` when no case was seen."""
        return tree_head(self.leaves())

    def head(self, case_id: UUID) -> CaseHead:
        """The head of ``case_id``; :class:`InvalidInput` if the case has no event here."""
        found = self._heads.get(case_id)
        if found is None:
            raise InvalidInput(
                f"case {case_id} has no event among the first {self._seen} log entries; "
                "check the case id, or take a later checkpoint"
            )
        return found

    def index_of(self, case_id: UUID) -> int:
        """The leaf index of ``case_id``'s head (its rank by case id bytes)."""
        leaf = self.head(case_id).leaf
        # Leaves are sorted and unique, so the index is a binary search away.
        leaves, low, high = self.leaves(), 0, len(self._heads)
        while low < high:
            middle = (low + high) // 2
            if leaves[middle] < leaf:
                low = middle + 1
            else:
                high = middle
        return low

    def proof(self, case_id: UUID) -> list[bytes]:
        """The RFC 9162 inclusion proof of ``case_id``'s head, at :meth:`index_of`, in a
        tree of ``len(self)`` leaves."""
        return inclusion_proof(self.leaves(), self.index_of(case_id), len(self))


def verify_case_head(
    head: CaseHead, index: int, count: int, root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows ``head`` at leaf ``index`` of the case-head tree of
    ``count`` leaves whose root is ``root`` (the ``cases`` line of a checkpoint)."""
    return verify_inclusion(index, count, head.leaf, root, proof)
