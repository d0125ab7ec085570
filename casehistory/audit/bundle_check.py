"""Verifying a JSON Lines export offline, with no store: :func:`verify_bundle`.

Every line is read as untrusted bytes: decoded strictly as UTF-8, parsed as strict JSON
(no repeated keys), checked against the event vocabulary
(:func:`~casehistory.audit.records.record_problem`), then its digest and its case's
chain recomputed. A *proven* bundle (its first line a ``casehistory-bundle/1`` header,
:mod:`casehistory.audit.bundle`) is also checked against its checkpoint: each event's
inclusion proof at its position in the log, each case's head in the case-head tree (so a
case cut short is found), and for a whole-store export the number of cases. A plain
export (no header) is only *self-consistent*; :attr:`BundleCheck.standing` says which.

A bundle holds personal texts sealed (``{"sealed": box}``, what the digests cover) and
no key: offline every one reads as ``[sealed]``. :attr:`BundleCheck.privacy` says how
many it holds, and which cases are marked as of a forgotten customer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import attrs

from casehistory.audit._erasure import FORGOTTEN_FIELD
from casehistory.audit._lines import numbered_lines
from casehistory.audit.bundle import (
    BUNDLE_FORMAT,
    EVENT_FIELDS,
    HEAD_FIELDS,
    HEADER_FIELDS,
    PLAIN_FIELDS,
    Anchor,
    signature_status,
)
from casehistory.audit.case_heads import CaseHead, verify_case_head
from casehistory.audit.merkle import HASH_SIZE, verify_inclusion
from casehistory.audit.records import record_problem, sealed_texts, strict_json
from casehistory.audit.verify import ChainCheck, Finding, Problem, Verification
from casehistory.domain.chain import RECORD_FIELDS
from casehistory.domain.sealed import SEALED
from casehistory.errors import CaseHistoryError

__all__ = ["BundleCheck", "verify_bundle"]

SELF_CONSISTENT = (
    "self-consistent only: a plain export carries no checkpoint, so nothing shows that "
    "no event or case was left out, nor that a case was not rewritten with fresh digests "
    "(export with --checkpoint for a bundle that proves it)"
)


@attrs.frozen
class BundleCheck:
    """The outcome of verifying a bundle: its findings, and how far it is proven."""

    verification: Verification
    proven: bool
    """Whether every line is proven in the log of a checkpoint signed by the trusted key."""
    standing: str
    """In words: proven, signed by an unpinned key, or self-consistent only."""
    whole_store: bool = False
    unverified: bool = False
    """Whether the bundle says its store failed verification when it was exported."""
    checkpoint_size: int | None = None
    sealed_texts: int = 0
    """How many personal texts the bundle holds sealed: a bundle carries no keys, so
    offline each reads as ``[sealed]`` (:data:`~casehistory.domain.sealed.SEALED`)."""
    forgotten: tuple[UUID, ...] = ()
    """The cases marked ``"forgotten": true``: their customer was forgotten when the
    bundle was exported (their texts can no longer be opened anywhere)."""

    @property
    def privacy(self) -> str:
        """In words: what the bundle holds of personal texts, and whose were erased."""
        if not self.sealed_texts:
            return "personal texts: none sealed"
        forgotten = len(self.forgotten)
        erased = (
            f"; {forgotten} case{'s' if forgotten != 1 else ''} of forgotten customers "
            "(their texts were erased in the store before the export)"
            if forgotten
            else ""
        )
        return (
            f"personal texts: {self.sealed_texts} sealed, shown as {SEALED} offline (a "
            f"bundle carries no keys; read them in the store){erased}"
        )

    @property
    def ok(self) -> bool:
        """Whether nothing was found (a plain export can be ok without being proven)."""
        return self.verification.ok

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.verification.findings

    @property
    def cases(self) -> int:
        return self.verification.cases

    @property
    def events(self) -> int:
        return self.verification.events


def _at(number: int, why: str) -> Finding:
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
class _Reader:
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
                _at(number, f"is not an event record of this bundle (keys: {shown})")
            )
            return
        if erased and entry[FORGOTTEN_FIELD] is not True:
            self.findings.append(
                _at(number, f"has forgotten {entry[FORGOTTEN_FIELD]!r:.40}, not true")
            )
        if plain_marked:
            if entry["unverified"] is not True:
                self.findings.append(
                    _at(number, f"has unverified {entry['unverified']!r}, not true")
                )
            self.marked = True
        problem = record_problem(entry)
        stored = _digest(entry["digest"])
        if problem is None and stored is None:
            problem = f"digest {entry['digest']!r:.80} is not 64 lowercase hex digits"
        place = _place(entry)
        if problem is not None and place is None:
            self.findings.append(_at(number, problem))
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
                _at(
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
                self.findings.append(_at(number, f"{flag} is {entry[flag]!r:.40}, not a boolean"))
        text = entry["checkpoint"]
        try:
            self.anchor = Anchor.read(text) if isinstance(text, str) else None
        except CaseHistoryError as error:
            self.anchor = None
            self.findings.append(_at(number, f"carries no readable checkpoint ({error})"))
        if self.anchor is None and not self.findings:
            self.findings.append(_at(number, "checkpoint is not the text of a checkpoint"))
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
                _at(
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
            self.findings.append(_at(number, "cases is not a list of case heads"))
            return
        indices: set[int] = set()
        for item in cases:
            head, index, proof = self._head(item)
            if head is None or index is None or proof is None:
                self.findings.append(_at(number, f"has a malformed case head {item!r:.120}"))
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


def verify_bundle(
    source: bytes | Iterable[bytes] | Iterable[str],
    *,
    checkpoint: str | None = None,
    trusted_key: Any = None,
) -> BundleCheck:
    """Verify a bundle with no store: a file's bytes, a binary file, or its text lines.

    ``checkpoint`` (a checkpoint's text) pins the checkpoint the bundle must be proven
    against, instead of trusting the one it carries; ``trusted_key`` is the key that
    checkpoint must be signed with. Without a key, a signature is never taken as proof
    of who signed. Findings name the line, the case and the version."""
    reader = _Reader()
    proven = False
    for number, text in numbered_lines(source):
        if text is None:
            reader.findings.append(_at(number, "is not valid UTF-8 (rule: bundles are UTF-8)"))
            continue
        if not text.strip():
            reader.findings.append(_at(number, "is blank (rule: one record per line)"))
            continue
        try:
            entry = strict_json(text)
        except CaseHistoryError as error:
            reader.findings.append(_at(number, str(error)))
            continue
        if number == 1 and isinstance(entry, dict) and "format" in entry:
            proven = True
            reader.read_header(number, entry, checkpoint)
            continue
        reader.event(number, entry, proven)
    reader.close()
    findings = reader.findings
    for chain in reader.chains.values():
        findings.extend(chain.findings)
    header = reader.header
    if reader.events == 0 and not reader.heads:
        findings.append(
            Finding(
                None,
                None,
                Problem.ABSENT,
                "the bundle holds no event to verify "
                "(an empty or blank file, or a header alone); export it again",
            )
        )
    standing, signed = SELF_CONSISTENT, False
    if not proven and (checkpoint is not None or trusted_key is not None):
        findings.append(
            Finding(
                None,
                None,
                Problem.ABSENT,
                "the bundle is a plain export: it carries "
                "no proofs to check against a checkpoint or key; export it again with "
                "--checkpoint",
            )
        )
    if reader.anchor is not None:
        signed, standing = _standing(reader, trusted_key, findings)
    cases = len(reader.chains.keys() | reader.heads.keys())
    return BundleCheck(
        Verification(cases, reader.events, tuple(findings)),
        proven=signed and not findings,
        standing=standing,
        whole_store=bool(header and header.get("whole_store") is True),
        unverified=bool(header.get("unverified") is True) if header else reader.marked,
        checkpoint_size=None if reader.anchor is None else reader.anchor.size,
        sealed_texts=reader.sealed,
        forgotten=tuple(reader.forgotten),
    )


def _standing(reader: _Reader, trusted_key: Any, findings: list[Finding]) -> tuple[bool, str]:
    anchor = reader.anchor
    assert anchor is not None
    assert reader.header is not None
    try:
        signed, how = signature_status(anchor.text, trusted_key)
    except CaseHistoryError as error:
        findings.append(Finding(None, None, Problem.ALTERED, f"the checkpoint: {error}"))
        return False, "not proven: the checkpoint's signature does not hold"
    whole = ", no case is missing" if reader.header["whole_store"] is True else ""
    name = f" of {anchor.origin}" if anchor.origin else ""
    what = f"the checkpoint{name} of {anchor.size} entries"
    if not signed:
        return False, (
            f"not proven: {what} is {how}; the proofs hold against it, but nothing shows "
            "who made it (pass --trusted-key)"
        )
    return (
        True,
        f"proven against {what}, {how}: every event is in its log, no case is cut short{whole}",
    )
