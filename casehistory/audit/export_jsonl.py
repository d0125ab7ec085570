"""JSON Lines export: every event's record with its digest, a line each.

A *plain* export (:func:`write_jsonl`) writes one line per event, the record
(:mod:`casehistory.domain.chain`) with its digest::

    {"case_id": "...", "version": 1, "type": "CaseOpened", "occurred_at": "...",
     "recorded_at": "...", "actor": {"id": "...", "role": "AGENT"},
     "payload": {...}, "digest": "<64 hex digits>"}

cases one after the other, each from version 1 in version order. Since a digest covers
the record and the digest before it, :func:`verify_bundle` recomputes every chain from
the file alone: a plain export is *self-consistent*, no more. It cannot show that a
case's last events, or a whole case, were left out, nor that a case was rewritten with
fresh digests. A *proven* bundle (:mod:`casehistory.audit.bundle`, ``export --checkpoint``)
carries a checkpoint and the proofs that close those gaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO
from uuid import UUID

from casehistory.audit._lines import line_of
from casehistory.audit.bundle import PLAIN_FIELDS
from casehistory.audit.bundle_check import verify_bundle
from casehistory.domain.chain import record_of

__all__ = ["BUNDLE_FIELDS", "UNVERIFIED_FIELD", "verify_bundle", "write_jsonl"]

BUNDLE_FIELDS = PLAIN_FIELDS
"""The keys of every line of a plain export, in the order they are written."""

UNVERIFIED_FIELD = "unverified"
"""The key, last on each line, that marks an export of a store that failed verification."""


def write_jsonl(
    desk: Any, case_ids: Iterable[UUID], out: TextIO, *, unverified: bool = False
) -> int:
    """Write the events of ``case_ids``, a case at a time; return the lines written.

    ``unverified`` marks every line (``"unverified": true``, the last key): the store
    failed verification and was exported anyway (``export --unverified``)."""
    mark = {UNVERIFIED_FIELD: True} if unverified else {}
    lines = 0
    for case_id in case_ids:
        for event in desk.history(case_id):
            line: dict[str, Any] = {**record_of(event), "digest": event.digest, **mark}
            out.write(line_of(line) + "\n")
            lines += 1
    return lines
