"""Reading a bundle's lines, one by one, as untrusted input: each event checked against
the vocabulary, its case's chain and, in a proven bundle, its inclusion proof and its
case's head; what :func:`~casehistory.audit.bundle_check.verify_bundle` reports is what
this reader found.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

import attrs

from casehistory.audit._erasure import FORGOTTEN_FIELD
from casehistory.audit.bundle import (
    BUNDLE_FORMAT,
    EVENT_FIELDS,
    HEAD_FIELDS,
    HEADER_FIELDS,
    PLAIN_FIELDS,
    Anchor,
)
from casehistory.audit.case_heads import CaseHead, verify_case_head
from casehistory.audit.merkle import HASH_SIZE, verify_inclusion
from casehistory.audit.records import record_problem, sealed_texts
from casehistory.audit.verify import ChainCheck, Finding, Problem
from casehistory.domain.chain import RECORD_FIELDS
from casehistory.errors import CaseHistoryError

__all__ = ["Reader", "at"]


def at(number: int, why: str) -> Finding:
    """A finding of line ``number`` of the bundle."""
    return Finding(None, None, Problem.UNREADABLE, f"line {number}: {why}")


def _hashes(value: object) -> list[bytes] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    try:
        hashes = [base64.b64decode(item, validate=True) for item in value]
    except (binascii.Error, ValueError):
        return None
    return hashes if all(len(h) == HASH_SIZE for h in hashes) else None


def _index(value: object) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None  # type: ignore[return-value]


_HEX = frozenset("0123456789abcdef")


def _place(entry: dict[str, Any]) -> tuple[UUID, int] | None:
    """The case and version a line claims, when both are readable."""
    case_id, version = entry["case_id"], entry["version"]
    try:
        if not isinstance(case_id, str) or str(UUID(case_id)) != case_id:
            return None
    except ValueError:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return None
    return UUID(case_id), version


def _digest(value: object) -> bytes | None:
    if isinstance(value, str) and len(value) == 2 * HASH_SIZE and set(value) <= _HEX:
        return bytes.fromhex(value)
    return None


@attrs.define
class Reader:
    """The state of one pass over a bundle's lines."""

    anchor: Anchor | None = None
    findings: list[Finding] = attrs.Factory(list)
    chains: dict[UUID, ChainCheck] = attrs.Factory(dict)
    heads: dict[UUID, tuple[CaseHead, int]] = attrs.Factory(dict)
    positions: dict[int, int] = attrs.Factory(dict)
    events: int = 0
    header: dict[str, Any] | None = None
    marked: bool = False
    """Whether a line of a plain export carries ``"unverified": true``."""
    sealed: int = 0
    """How many sealed personal texts the event lines hold."""
    forgotten: dict[UUID, None] = attrs.Factory(dict)
    """The cases whose lines say their customer was forgotten, in bundle order."""

    def event(self, number: int, entry: Any, proven: bool) -> None:
        fields = EVENT_FIELDS if proven else PLAIN_FIELDS
        keys = set(entry) if isinstance(entry, dict) else None
        erased = keys is not None and FORGOTTEN_FIELD in keys
        if erased:
            keys = keys - {FORGOTTEN_FIELD}  # type: ignore[operator]
        plain_marked = not proven and keys == {*PLAIN_FIELDS, "unverified"}
        if keys != set(fields) and not plain_marked:
            shown = sorted(set(entry)) if keys is not None else type(entry).__name__
            self.findings.append(
                at(number, f"is not an event record of this bundle (keys: {shown})")
            )
            return
        if erased and entry[FORGOTTEN_FIELD] is not True:
            self.findings.append(
                at(number, f"has forgotten {entry[FORGOTTEN_FIELD]!r:.40}, not true")
            )
        if plain_marked:
            if entry["unverified"] is not True:
                self.findings.append(
                    at(number, f"has unverified {entry['unverified']!r}, not true")
                )
            self.marked = True
        problem = record_problem(entry)
        stored = _digest(entry["digest"])
        if problem is None and stored is None:
            problem = f"digest {entry['digest']!r:.80} is not 64 lowercase hex digits"
        place = _place(entry)
        if problem is not None and place is None:
            self.findings.append(at(number, problem))
            return
        assert place is not None
        self.events += 1
        case_id, version = place
        self.sealed += sealed_texts(entry["payload"])
        if erased:
            self.forgotten.setdefault(case_id, None)
        chain = self.chains.setdefault(case_id, ChainCheck(case_id, _no_rows))
        if problem is not None:
            # Not a record any desk writes: no digest of it is worth recomputing, but its
            # place in the chain is known, so the lines around it are still checked.
            chain.advance(version)
            chain.findings.append(
                Finding(case_id, version, Problem.ALTERED, f"line {number}: {problem}")
            )
            chain.previous, chain.link_known = entry["digest"], stored is not None
            return
        if version < chain.expected:
            chain.findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.OUT_OF_ORDER,
                    f"line {number} comes after version {chain.expected - 1} of its case",
                )
            )
            chain.link_known = False
        chain.advance(version)
        record = {name: entry[name] for name in RECORD_FIELDS}  # what the digest covers
        chain.settle(version, entry["type"], record, entry["digest"])
        if proven and self.anchor is not None:
            assert stored is not None
            self._included(number, case_id, version, stored, entry)

    def _included(
        self, number: int, case_id: UUID, version: int, leaf: bytes, entry: dict[str, Any]
    ) -> None:
        anchor = self.anchor
        assert anchor is not None
        position, proof = _index(entry["position"]), _hashes(entry["proof"])
        if position is None or proof is None:
            self.findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.UNREADABLE,
                    f"line {number}: position {entry['position']!r:.40} or proof is "
                    "malformed (a whole number, and a list of base64 SHA-256 hashes)",
                )
            )
            return
        if not verify_inclusion(position, anchor.size, leaf, anchor.root, proof):
            self.findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.ALTERED,
                    f"line {number}: is not in the log the checkpoint commits to (its "
                    f"inclusion proof at position {position} of {anchor.size} fails): the "
                    "event, its position or its proof was changed, or it was never logged",
                )
            )
        elif position in self.positions:
            self.findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.OUT_OF_ORDER,
                    f"line {number}: position {position} is also line "
                    f"{self.positions[position]}'s: a line was copied",
                )
            )
        else:
            self.positions[position] = number

    def read_header(self, number: int, entry: dict[str, Any], override: str | None) -> None:
        if set(entry) != set(HEADER_FIELDS) or entry["format"] != BUNDLE_FORMAT:
            self.findings.append(
                at(
                    number,
                    f"is a header of format {entry.get('format')!r:.60} with keys "
                    f"{sorted(entry)}; this casehistory reads {BUNDLE_FORMAT!r} with keys "
                    f"{', '.join(HEADER_FIELDS)}",
                )
            )
            return
        self.header = entry
        for flag in ("whole_store", "unverified"):
            if not isinstance(entry[flag], bool):
                self.findings.append(at(number, f"{flag} is {entry[flag]!r:.40}, not a boolean"))
        text = entry["checkpoint"]
        try:
            self.anchor = Anchor.read(text) if isinstance(text, str) else None
        except CaseHistoryError as error:
            self.anchor = None
            self.findings.append(at(number, f"carries no readable checkpoint ({error})"))
        if self.anchor is None and not self.findings:
            self.findings.append(at(number, "checkpoint is not the text of a checkpoint"))
        if override is not None:
            pinned = Anchor.read(override)
            if self.anchor is not None and not pinned.same_log_state(self.anchor):
                self.findings.append(
                    Finding(
                        None,
                        None,
                        Problem.ALTERED,
                        f"the bundle is proven against a checkpoint of {self.anchor.size} "
                        f"entries of {self.anchor.origin}, not the one given "
                        f"({pinned.size} entries of {pinned.origin}); get a bundle made "
                        "against the given checkpoint",
                    )
                )
            self.anchor = pinned  # the auditor's own copy decides, never the bundle's
        if self.anchor is None:
            return
        if self.anchor.case_root is None:
            self.findings.append(
                at(
                    number,
                    "its checkpoint commits to no case heads, so no case can be "
                    "proven whole; make a checkpoint with this casehistory",
                )
            )
            return
        self._read_heads(number, entry["cases"])

    def _read_heads(self, number: int, cases: object) -> None:
        anchor = self.anchor
        assert anchor is not None
        assert anchor.case_root is not None
        assert anchor.case_count is not None
        if not isinstance(cases, list):
            self.findings.append(at(number, "cases is not a list of case heads"))
            return
        indices: set[int] = set()
        for item in cases:
            head, index, proof = self._head(item)
            if head is None or index is None or proof is None:
                self.findings.append(at(number, f"has a malformed case head {item!r:.120}"))
                continue
            if head.case_id in self.heads or index in indices:
                self.findings.append(
                    Finding(
                        head.case_id,
                        None,
                        Problem.OUT_OF_ORDER,
                        f"line {number}: names the case, or its head's index {index}, twice",
                    )
                )
                continue
            if not verify_case_head(head, index, anchor.case_count, anchor.case_root, proof):
                self.findings.append(
                    Finding(
                        head.case_id,
                        head.version,
                        Problem.ALTERED,
                        f"line {number}: its head (digest {head.digest.hex()[:12]}...) is not "
                        f"in the checkpoint's case-head tree (proof at index {index} of "
                        f"{anchor.case_count} fails): a forged or rewritten case",
                    )
                )
                continue
            indices.add(index)
            self.heads[head.case_id] = (head, index)

    @staticmethod
    def _head(item: object) -> tuple[CaseHead | None, int | None, list[bytes] | None]:
        if not isinstance(item, dict) or set(item) != set(HEAD_FIELDS):
            return None, None, None
        try:
            case_id = UUID(item["case_id"])
            head = CaseHead(case_id, item["version"], _digest(item["digest"]))  # type: ignore[arg-type]
        except (CaseHistoryError, TypeError, ValueError, AttributeError):
            return None, None, None
        if str(case_id) != item["case_id"]:
            return None, None, None
        return head, _index(item["index"]), _hashes(item["proof"])

    def close(self) -> None:
        """The checks that need every line: each case ends at its proven head."""
        if self.header is None or self.anchor is None or self.anchor.case_count is None:
            return
        for case_id in self.chains.keys() - self.heads.keys():
            self.findings.append(
                Finding(
                    case_id,
                    None,
                    Problem.ALTERED,
                    "has events in the bundle but no proven "
                    "case head in its header: an added or forged case",
                )
            )
        for case_id, (head, _) in self.heads.items():
            chain = self.chains.get(case_id)
            last = 0 if chain is None else chain.expected - 1
            if last < head.version:
                missing = (
                    f"version {last + 1} is"
                    if last + 1 == head.version
                    else (f"versions {last + 1}-{head.version} are")
                )
                self.findings.append(
                    Finding(
                        case_id,
                        last + 1,
                        Problem.MISSING,
                        f"{missing} missing: the checkpoint's head of the case is version "
                        f"{head.version} (events cut from the bundle)",
                    )
                )
            elif last > head.version or chain is None or chain.previous != head.digest.hex():
                self.findings.append(
                    Finding(
                        case_id,
                        head.version,
                        Problem.ALTERED,
                        f"the case's last line is version {last}, not the checkpoint's "
                        f"head (version {head.version}, digest {head.digest.hex()[:12]}...)",
                    )
                )
        if self.header["whole_store"] is True:
            count = self.anchor.case_count
            indices = {index for _, index in self.heads.values()}
            if len(self.heads) != count or indices != set(range(count)):
                absent = sorted(set(range(count)) - indices)
                shown = ", ".join(map(str, absent[:10])) + (" ..." if len(absent) > 10 else "")
                self.findings.append(
                    Finding(
                        None,
                        None,
                        Problem.ABSENT,
                        f"the checkpoint holds {count} cases; this whole-store bundle "
                        f"proves {len(self.heads)}: the case heads at index {shown} are "
                        "missing (cases left out)",
                    )
                )


def _no_rows(row: Any) -> Any:
    raise AssertionError("a bundle has records, never stored rows")
