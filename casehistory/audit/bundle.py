"""Proven bundles: a JSON Lines export that carries a checkpoint and the proofs that tie
every line to it, so that an auditor can check it offline (:mod:`casehistory.audit.bundle_check`).

The format, ``casehistory-bundle/1``, is specified in docs/export.md: a header line (the
checkpoint's text, whether it is a whole-store export, each case's head with its
inclusion proof in the checkpoint's case-head tree), then one line per event: its record,
its digest, its position in the log and its RFC 9162 inclusion proof in the log's tree of
the checkpoint's size. Events recorded after the checkpoint are not in the bundle.

Writing is two steps: :func:`prove_export` reads the log once (verifying every chain on
the way, :func:`~casehistory.audit.scan.scan_log`), checks that the store still extends
the checkpoint, and builds the trees; :func:`write_bundle` then writes the lines. The
caller decides, between the two, whether a store that failed verification may be
exported at all.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TextIO
from uuid import UUID

import attrs

from casehistory.audit._erasure import FORGOTTEN_FIELD, forgotten_events
from casehistory.audit._lines import line_of
from casehistory.audit.case_heads import CaseHead, CaseHeads
from casehistory.audit.checkpoint import Checkpoint, parse_checkpoint, store_origin
from casehistory.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash
from casehistory.audit.note import VerifierKey
from casehistory.audit.scan import LogEntry, scan_log
from casehistory.audit.verify import Verification
from casehistory.domain.chain import RECORD_FIELDS, record_of
from casehistory.errors import CheckpointMismatch, InvalidInput

__all__ = [
    "BUNDLE_FORMAT",
    "EVENT_FIELDS",
    "HEADER_FIELDS",
    "HEAD_FIELDS",
    "PLAIN_FIELDS",
    "Anchor",
    "ExportProofs",
    "MerkleLevels",
    "prove_export",
    "write_bundle",
]

BUNDLE_FORMAT = "casehistory-bundle/1"
"""The ``format`` of the header line of every proven bundle this version writes."""

HEADER_FIELDS = ("format", "checkpoint", "whole_store", "unverified", "cases")
"""The keys of the header line, in the order they are written."""

HEAD_FIELDS = ("case_id", "version", "digest", "index", "proof")
"""The keys of each case head in the header's ``cases``."""

PLAIN_FIELDS = (*RECORD_FIELDS, "digest")
"""The keys of each line of a plain export (no checkpoint), in the order they are written."""

EVENT_FIELDS = (*PLAIN_FIELDS, "position", "proof")
"""The keys of each event line of a proven bundle, in the order they are written."""


@attrs.frozen
class Anchor:
    """What a bundle is proven against: the facts a checkpoint commits to.

    Read from the checkpoint's text by :meth:`read`; ``case_count`` and ``case_root``
    are None for a checkpoint that commits to no case-head tree."""

    text: str
    origin: str | None
    size: int
    root: bytes
    case_count: int | None
    case_root: bytes | None

    @classmethod
    def read(cls, text: str) -> Anchor:
        """The anchor of a checkpoint's text (C2SP note, or legacy JSON, which commits
        to no case heads); :class:`InvalidInput` if it is not a checkpoint."""
        checkpoint = parse_checkpoint(text)
        if isinstance(checkpoint, Checkpoint):
            return cls(
                text,
                checkpoint.origin,
                checkpoint.size,
                checkpoint.root,
                checkpoint.cases,
                checkpoint.cases_root,
            )
        return cls(text, None, checkpoint.size, checkpoint.root, None, None)

    def same_log_state(self, other: Anchor) -> bool:
        """Whether both commit to the same log state (signatures aside)."""
        return attrs.evolve(self, text="") == attrs.evolve(other, text="")


def signature_status(text: str, trusted_key: VerifierKey | None) -> tuple[bool, str]:
    """Whether the checkpoint ``text`` is proven signed by ``trusted_key`` (True), and in
    words how its signature stands; raises
    :class:`~casehistory.errors.CheckpointSignatureInvalid` when the trusted key's
    signature is absent or fails. Without a key it is never proven: a note carries no
    public key, so "signed by an unpinned key" is all that can be said."""
    checkpoint = parse_checkpoint(text)
    if not isinstance(checkpoint, Checkpoint):
        return False, "a legacy checkpoint"
    how = checkpoint.verify_signature(trusted_key)
    return trusted_key is not None, how


class MerkleLevels:
    """Every node of an RFC 9162 tree, level by level, for many inclusion proofs at once.

    Level 0 holds the leaf hashes; each level above pairs the nodes below it, and a last
    node without a sibling moves up unchanged. That is the RFC 9162 tree (it splits at
    the largest power of two, so a lone right node is exactly such a promoted node), and
    the inclusion proof of leaf ``i`` is the sibling of its node on each level, where it
    has one: O(n) hashing to build, O(log n) per proof, where computing each proof alone
    costs O(n)."""

    __slots__ = ("_levels",)

    def __init__(self, entries: Sequence[bytes]) -> None:
        level = [leaf_hash(entry) for entry in entries]
        self._levels = [level]
        while len(level) > 1:
            pairs = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                pairs.append(level[-1])
            self._levels.append(pairs)
            level = pairs

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def root(self) -> bytes:
        """MTH of the entries (:data:`~casehistory.audit.merkle.EMPTY_ROOT` if none)."""
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def proof(self, index: int) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1: the leaf's sibling first."""
        if not 0 <= index < self.size:
            raise InvalidInput(f"index {index} is outside a tree of {self.size} entries")
        path = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index >>= 1
        return path


def b64(hashes: Sequence[bytes]) -> list[str]:
    """Hashes as the bundle writes them: standard base64 with padding."""
    return [base64.b64encode(h).decode("ascii") for h in hashes]


@attrs.frozen
class ExportProofs:
    """One pass over the log, ready to write a bundle of ``case_ids`` proven against
    ``anchor``. ``verification`` is what the pass found in the store's chains."""

    anchor: Anchor
    verification: Verification
    case_ids: tuple[UUID, ...]
    whole_store: bool
    log: MerkleLevels
    heads: CaseHeads
    head_tree: MerkleLevels
    positions: dict[UUID, dict[int, int]]
    """For each exported case: the log position of each version up to the checkpoint."""

    @property
    def events(self) -> int:
        """How many events the bundle will hold."""
        return sum(self.heads.head(case_id).version for case_id in self.case_ids)


def prove_export(
    desk: Any,
    checkpoint_text: str,
    case_ids: Sequence[UUID] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ExportProofs:
    """Read the log once and build what a bundle of ``case_ids`` (None: every case in
    the checkpoint, a whole-store export) needs to be proven against the checkpoint.

    Raises :class:`~casehistory.errors.CheckpointMismatch` when the store does not
    extend the checkpoint (a bundle of it could prove nothing), and
    :class:`~casehistory.errors.InvalidInput` for a named case with no event up to the
    checkpoint. Findings of the chains are in the result: the caller decides."""
    anchor = Anchor.read(checkpoint_text)
    wanted = None if case_ids is None else frozenset(case_ids)
    entries: list[bytes] = []
    heads = CaseHeads(anchor.size)
    positions: dict[UUID, dict[int, int]] = {}

    def take(entry: LogEntry) -> None:
        if entry.position >= anchor.size:
            return
        entries.append(entry.leaf)
        heads.add(entry)
        if wanted is None or entry.case_id in wanted:
            positions.setdefault(entry.case_id, {})[entry.version] = entry.position

    verification = scan_log(desk, entry=take, progress=progress)
    if anchor.case_root is None:
        raise InvalidInput(
            f"the checkpoint of {anchor.size} entries is a legacy one: it commits to no "
            "case heads, so a bundle could not prove that no event was left out; make a "
            "checkpoint with `casehistory checkpoint` and export against it"
        )
    if entries and anchor.origin != store_origin(entries[0]):
        raise CheckpointMismatch(
            f"the checkpoint is of the log {anchor.origin}, this store is "
            f"{store_origin(entries[0])}; export against a checkpoint of this store"
        )
    log = MerkleLevels(entries)
    _require_extends(anchor, log)
    head_tree = MerkleLevels(heads.leaves())
    if anchor.case_count != len(heads) or anchor.case_root != head_tree.root():
        raise CheckpointMismatch(
            f"the store's case heads up to entry {anchor.size} hash to "
            f"{head_tree.root().hex()} over {len(heads)} cases; the checkpoint says "
            f"{anchor.case_root!r} over {anchor.case_count} (a case's last events were "
            "rewritten or moved); compare the store with a backup"
        )
    if case_ids is None:
        chosen = tuple(head.case_id for head in heads.heads())
    else:
        for case_id in case_ids:
            heads.head(case_id)  # InvalidInput naming the case if it is not pinned
        chosen = tuple(dict.fromkeys(case_ids))
    return ExportProofs(
        anchor, verification, chosen, case_ids is None, log, heads, head_tree, positions
    )


def _require_extends(anchor: Anchor, log: MerkleLevels) -> None:
    if log.size < anchor.size:
        raise CheckpointMismatch(
            f"the log has only {log.size} entries; the checkpoint covers {anchor.size} (a "
            "truncated tail, or the checkpoint of another store); export from the store "
            "the checkpoint was made of"
        )
    if log.root() != anchor.root:
        raise CheckpointMismatch(
            f"the first {anchor.size} log entries hash to {log.root().hex()}, the checkpoint "
            f"says {anchor.root.hex()} (an event was rewritten, deleted or reordered, or the "
            "checkpoint is of another store); no bundle can be proven against it"
        )


def _head_line(proofs: ExportProofs, index: int, head: CaseHead) -> dict[str, Any]:
    return {
        "case_id": str(head.case_id),
        "version": head.version,
        "digest": head.digest.hex(),
        "index": index,
        "proof": b64(proofs.head_tree.proof(index)),
    }


def write_bundle(desk: Any, proofs: ExportProofs, out: TextIO, *, unverified: bool = False) -> int:
    """Write the bundle: the header, then each case's events up to the checkpoint, a case
    at a time. ``unverified`` marks a bundle of a store that failed verification (the
    header's ``unverified``). Each event line of a case whose customer was forgotten
    (at export time, even after the checkpoint) ends with ``"forgotten": true``: its
    personal texts are sealed under a destroyed key. Returns the event lines written."""
    index_of = {head.case_id: i for i, head in enumerate(proofs.heads.heads())}
    header = {
        "format": BUNDLE_FORMAT,
        "checkpoint": proofs.anchor.text,
        "whole_store": proofs.whole_store,
        "unverified": unverified,
        "cases": [
            _head_line(proofs, index_of[case_id], proofs.heads.head(case_id))
            for case_id in proofs.case_ids
        ],
    }
    out.write(line_of(header) + "\n")
    lines = 0
    for case_id in proofs.case_ids:
        last = proofs.heads.head(case_id).version
        positions = proofs.positions.get(case_id, {})
        events = desk.history(case_id)
        erased = {FORGOTTEN_FIELD: True} if forgotten_events(events) else {}
        for event in events:
            version = event.originator_version
            if version > last:
                break  # recorded after the checkpoint: not proven by it
            position = positions.get(version)
            if position is None:
                raise InvalidInput(
                    f"case {case_id} version {version} is not among the first "
                    f"{proofs.anchor.size} log entries although its case head is version "
                    f"{last}: the store was renumbered; verify it"
                )
            line = {
                **record_of(event),
                "digest": event.digest,
                "position": position,
                "proof": b64(proofs.log.proof(position)),
                **erased,
            }
            out.write(line_of(line) + "\n")
            lines += 1
    return lines
