"""JSON Lines export, and the offline verification of such an export (a *bundle*).

Each line is one event's record (:mod:`casehistory.domain.chain`) with its digest::

    {"case_id": "...", "version": 1, "type": "CaseOpened", "occurred_at": "...",
     "recorded_at": "...", "actor": {"id": "...", "role": "AGENT"},
     "payload": {...}, "digest": "<64 hex digits>"}

cases one after the other, each from version 1 in version order. Since a digest covers
the record and the digest before it, :func:`verify_bundle` recomputes every chain from
the file alone, with no store and no casehistory desk: an auditor can take the file
away and check, years later, that no line was changed, removed or reordered since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO
from uuid import UUID

from casehistory.audit.verify import ChainCheck, Finding, Problem, Verification
from casehistory.domain.chain import RECORD_FIELDS, record_of

__all__ = ["BUNDLE_FIELDS", "verify_bundle", "write_jsonl"]

BUNDLE_FIELDS = (*RECORD_FIELDS, "digest")
"""The keys of every line, in the order they are written."""


def write_jsonl(desk: Any, case_ids: Iterable[UUID], out: TextIO) -> int:
    """Write the events of ``case_ids``, a case at a time; return the lines written."""
    lines = 0
    for case_id in case_ids:
        for event in desk.history(case_id):
            line = {**record_of(event), "digest": event.digest}
            out.write(_line(line) + "\n")
            lines += 1
    return lines


# JSON leaves these unescaped, yet many line readers (str.splitlines among them) end a
# line at each: escaped, a record is always exactly one line whatever reads it.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _line(record: dict[str, Any]) -> str:
    """One record as one line of UTF-8 JSON (readable names, no line break inside)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS)


def _unreadable(number: int, why: str) -> Finding:
    return Finding(None, None, Problem.UNREADABLE, f"line {number}: {why}")


def _parse(number: int, line: str) -> tuple[dict[str, Any] | None, Finding | None]:
    try:
        entry = json.loads(line)
    except ValueError as error:
        return None, _unreadable(number, f"is not JSON ({error})")
    if not isinstance(entry, dict) or set(entry) != set(BUNDLE_FIELDS):
        keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        return None, _unreadable(number, f"is not an event record (keys: {keys})")
    try:
        UUID(entry["case_id"])
    except (TypeError, ValueError, AttributeError):
        return None, _unreadable(number, f"has no case id: {entry['case_id']!r}")
    version = entry["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None, _unreadable(number, f"has no version: {version!r}")
    if not isinstance(entry["type"], str):
        return None, _unreadable(number, f"has no type: {entry['type']!r}")
    return entry, None


def verify_bundle(lines: Iterable[str]) -> Verification:
    """Verify an export read line by line (an open file will do), with no store.

    Each case's lines must run from version 1 in order, and each digest must be the one
    its record and its predecessor give. A bundle cannot show that a case's *last*
    events were cut off: compare its cases' last digests with a store, or keep a
    checkpoint (see docs/auditing.md)."""
    chains: dict[UUID, ChainCheck] = {}
    findings: list[Finding] = []
    events = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        entry, finding = _parse(number, line)
        if entry is None:
            assert finding is not None
            findings.append(finding)
            continue
        events += 1
        case_id, version = UUID(entry["case_id"]), entry["version"]
        chain = chains.setdefault(case_id, ChainCheck(case_id, _no_rows))
        if version < chain.expected:
            findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.OUT_OF_ORDER,
                    f"line {number} comes after version {chain.expected - 1} of its case",
                )
            )
            chain.link_known = False
        chain.advance(version)
        chain.settle(version, entry["type"], entry, entry["digest"])
    for chain in chains.values():
        findings.extend(chain.findings)
    return Verification(len(chains), events, tuple(findings))


def _no_rows(row: Any) -> Any:
    raise AssertionError("a bundle has records, never stored rows")
