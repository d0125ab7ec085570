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

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import attrs

from casehistory.audit._bundle_reader import Reader, at
from casehistory.audit._lines import numbered_lines
from casehistory.audit.bundle import signature_status
from casehistory.audit.records import strict_json
from casehistory.audit.verify import Finding, Problem, Verification
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
    reader = Reader()
    proven = False
    for number, text in numbered_lines(source):
        if text is None:
            reader.findings.append(at(number, "is not valid UTF-8 (rule: bundles are UTF-8)"))
            continue
        if not text.strip():
            reader.findings.append(at(number, "is blank (rule: one record per line)"))
            continue
        try:
            entry = strict_json(text)
        except CaseHistoryError as error:
            reader.findings.append(at(number, str(error)))
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


def _standing(reader: Reader, trusted_key: Any, findings: list[Finding]) -> tuple[bool, str]:
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
