"""``casehistory verify --bundle FILE``: a bundle verified offline, with no store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import click

from casehistory.audit.bundle import Anchor
from casehistory.audit.bundle_check import BundleCheck, verify_bundle
from casehistory.audit.note import VerifierKey, load_verifier_key
from casehistory.cli._app import Refused
from casehistory.cli._output import print_json, say
from casehistory.cli.audit import as_json, report
from casehistory.errors import CaseHistoryError

__all__ = ["verify_bundle_file"]


def verify_bundle_file(
    bundle: Path,
    case_ids: Sequence[UUID],
    checkpoint_files: Sequence[Path],
    trusted_key: Path | None,
    json_output: bool,
) -> None:
    """Verify ``bundle``, print the outcome, and exit with 1 if anything was found.

    One ``--checkpoint`` pins the checkpoint the bundle must be proven against (the
    auditor's own copy, not the one the bundle carries)."""
    if case_ids:
        raise click.UsageError("--bundle verifies a whole export; name no case")
    if len(checkpoint_files) > 1:
        raise click.UsageError(
            "--bundle is proven against one checkpoint; give at most one --checkpoint"
        )
    pinned = _checkpoint_text(checkpoint_files[0]) if checkpoint_files else None
    key = _key(trusted_key) if trusted_key is not None else None
    try:
        with bundle.open("rb") as lines:
            check = verify_bundle(lines, checkpoint=pinned, trusted_key=key)
    except OSError as error:
        raise Refused(f"cannot read {bundle}: {error}") from None
    if json_output:
        print_json(
            as_json(
                check.verification,
                proven=check.proven,
                standing=check.standing,
                whole_store=check.whole_store,
                unverified=check.unverified,
                checkpoint_size=check.checkpoint_size,
                sealed_texts=check.sealed_texts,
                forgotten=[str(case_id) for case_id in check.forgotten],
            ),
            indent=2,
        )
    else:
        _print(check, bundle)
    if not check.ok:
        raise SystemExit(1)


def _print(check: BundleCheck, bundle: Path) -> None:
    report(check.verification, f"bundle {bundle}")
    if check.ok:
        say(check.standing)
    if check.unverified:
        say("marked UNVERIFIED: the store it was exported from failed verification at the time")
    if check.sealed_texts:
        say(check.privacy)


def _checkpoint_text(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8")
        Anchor.read(text)
    except (OSError, UnicodeDecodeError, CaseHistoryError) as error:
        raise click.BadParameter(f"{path}: {error}", param_hint="--checkpoint") from None
    return text


def _key(path: Path) -> VerifierKey:
    try:
        return load_verifier_key(path)
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--trusted-key") from None
