"""``casehistory verify``: prove the store (or a bundle) was not rewritten."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casehistory.audit.checkpoint import Checkpoint
from casehistory.audit.export_jsonl import verify_bundle
from casehistory.audit.store_checks import CheckpointOutcome, check_store
from casehistory.audit.verify import verify_cases
from casehistory.cli._app import console, db_option, main, open_desk
from casehistory.cli.audit import as_json as _as_json
from casehistory.cli.audit import case_ids_argument, log_progress, report
from casehistory.errors import CaseHistoryError


@main.command(
    epilog="Example: casehistory verify --checkpoint pinned.json",
)
@case_ids_argument
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify a JSON Lines export instead of the store (no database needed).",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also prove the store still extends this checkpoint (repeatable: each one "
    "must extend the one before it).",
)
@click.option(
    "--trusted-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM Ed25519 public key every checkpoint must be signed with.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@db_option
def verify(
    case_ids: list[UUID],
    bundle: Path | None,
    checkpoint_files: tuple[Path, ...],
    trusted_key: Path | None,
    as_json: bool,
    db: str,
) -> None:
    """Recompute every event's digest and every case's chain from the stored rows.

    Names the case, the version and what is wrong, and exits with 1, when an event was
    changed, retyped, deleted, inserted, swapped or moved to another case."""
    if bundle is not None and (case_ids or checkpoint_files):
        raise click.UsageError("--bundle verifies a whole export; name no case or checkpoint")
    if checkpoint_files and case_ids:
        raise click.UsageError("--checkpoint checks the whole log; name no case")
    checkpoints = [_read_checkpoint(path) for path in checkpoint_files]
    key = _public_key(trusted_key) if trusted_key is not None else None
    outcomes: list[CheckpointOutcome] = []
    if bundle is not None:
        with bundle.open(encoding="utf-8") as lines:
            verification = verify_bundle(lines)
        what = f"bundle {bundle}"
    else:
        with open_desk(db) as desk:
            if case_ids:
                verification = verify_cases(desk, case_ids)
            else:
                with log_progress("verifying") as progress:
                    checked = check_store(desk, checkpoints, trusted_key=key, progress=progress)
                verification, outcomes = checked.verification, list(checked.checkpoints)
        what = "store"
    names = {id(c): str(path) for c, path in zip(checkpoints, checkpoint_files, strict=True)}
    if as_json:
        click.echo(_as_json(verification, checkpoints=[_outcome(o, names) for o in outcomes]))
    else:
        report(verification, what)
        for outcome in outcomes:
            _print_outcome(outcome, names[id(outcome.checkpoint)])
    if not verification.ok or any(o.problem for o in outcomes):
        raise SystemExit(1)


def _read_checkpoint(path: Path) -> Checkpoint:
    try:
        return Checkpoint.read(path)
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--checkpoint") from None


def _public_key(path: Path) -> bytes:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise click.BadParameter(
            f"{path} holds no PEM Ed25519 public key; write one from the signing key with "
            "`openssl pkey -in key.pem -pubout -out public.pem`",
            param_hint="--trusted-key",
        )
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _outcome(outcome: CheckpointOutcome, names: dict[int, str]) -> dict[str, Any]:
    return {
        "file": names[id(outcome.checkpoint)],
        "size": outcome.checkpoint.size,
        "root": outcome.checkpoint.root.hex(),
        "created_at": outcome.checkpoint.created_at.isoformat(),
        "signed": outcome.checkpoint.signature is not None,
        "ok": outcome.problem is None,
        "problem": outcome.problem,
        "extends_previous": outcome.extends_previous,
    }


def _print_outcome(outcome: CheckpointOutcome, name: str) -> None:
    checkpoint = outcome.checkpoint
    signed = "signed" if checkpoint.signature is not None else "unsigned"
    when = checkpoint.created_at.isoformat()
    head = f"checkpoint {name} ({checkpoint.size} entries, {signed}, {when})"
    out = console()
    if outcome.problem is None:
        out.print(f"{head}: the log still extends it")
    else:
        out.print(f"{head}: FAILED: {outcome.problem}")
    if outcome.extends_previous is not None:
        out.print(f"  {outcome.extends_previous}")
