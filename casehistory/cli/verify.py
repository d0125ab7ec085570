"""``casehistory verify``: prove the store (or a bundle) was not rewritten."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import click

from casehistory.audit.checkpoint import AnyCheckpoint, Checkpoint, read_checkpoint
from casehistory.audit.note import VerifierKey, load_verifier_key
from casehistory.audit.rules import verify_rules
from casehistory.audit.store_checks import CheckpointOutcome, check_store
from casehistory.audit.verify import Verification, verify_cases
from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli._bundle import verify_bundle_file
from casehistory.cli._output import print_json, say
from casehistory.cli.audit import as_json as _as_json
from casehistory.cli.audit import case_ids_argument, log_progress, report
from casehistory.errors import CaseHistoryError


@main.command(
    epilog="Example: casehistory verify --checkpoint new.cp --trusted-key signing.key.pub",
)
@case_ids_argument
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify a JSON Lines export instead of the store (no database needed); with "
    "--checkpoint FILE, against that checkpoint; with --trusted-key, signed by that key.",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also prove the store still extends this checkpoint, is the store it names, and "
    "agrees with its time (repeatable: each one must extend the one before it).",
)
@click.option(
    "--trusted-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The verifier key every checkpoint must be signed with: the FILE.pub of "
    "`casehistory keygen` (C2SP note verifier key), or an Ed25519 PEM public key.",
)
@click.option(
    "--rules",
    is_flag=True,
    help="Also replay every case (or those named) through the domain's rules, as recorded: "
    "an intact event no desk would have accepted is an 'unlawful' finding.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@db_option
def verify(
    case_ids: list[UUID],
    bundle: Path | None,
    checkpoint_files: tuple[Path, ...],
    trusted_key: Path | None,
    rules: bool,
    as_json: bool,
    db: str,
) -> None:
    """Recompute every event's digest and every case's chain from the stored rows.

    Names the case, the version and what is wrong, and exits with 1, when an event was
    changed, retyped, deleted, inserted, swapped or moved to another case."""
    if rules and bundle is not None:
        raise click.UsageError("--rules replays the store's cases; it does not apply to --bundle")
    if bundle is not None:  # no store: casehistory.cli._bundle
        verify_bundle_file(bundle, case_ids, checkpoint_files, trusted_key, as_json)
        return
    if checkpoint_files and case_ids:
        raise click.UsageError("--checkpoint checks the whole log; name no case")
    if trusted_key is not None and not checkpoint_files and bundle is None:
        raise click.UsageError(
            "--trusted-key checks the signatures of checkpoints; give --checkpoint FILE "
            "(or --bundle FILE) too"
        )
    checkpoints = [_read_checkpoint(path) for path in checkpoint_files]
    key = _verifier_key(trusted_key) if trusted_key is not None else None
    outcomes: list[CheckpointOutcome] = []
    lawful: Verification | None = None
    if bundle is not None:
        raise AssertionError("bundles are verified above, with no store")
    else:
        with open_desk(db) as desk:
            if case_ids:
                verification = verify_cases(desk, case_ids)
            else:
                with log_progress("verifying") as progress:
                    checked = check_store(desk, checkpoints, trusted_key=key, progress=progress)
                verification, outcomes = checked.verification, list(checked.checkpoints)
            if rules:
                with log_progress("replaying the rules") as progress:
                    lawful = verify_rules(desk, case_ids or None, progress=progress)
                verification = attrs.evolve(
                    verification, findings=(*verification.findings, *lawful.findings)
                )
        what = "store"
    names = {id(c): str(path) for c, path in zip(checkpoints, checkpoint_files, strict=True)}
    if as_json:
        more: dict[str, Any] = {"checkpoints": [_outcome(o, names) for o in outcomes]}
        if lawful is not None:
            more["rules"] = {"ok": lawful.ok, "cases": lawful.cases, "events": lawful.events}
        print_json(_as_json(verification, **more), indent=2)
    else:
        report(verification, what)
        if lawful is not None and lawful.ok:
            say(
                f"rules: {lawful.cases} cases, {lawful.events} events: every event is one "
                "a desk would have recorded"
            )
        for outcome in outcomes:
            _print_outcome(outcome, names[id(outcome.checkpoint)])
    if not verification.ok or any(o.problem for o in outcomes):
        raise SystemExit(1)


def _read_checkpoint(path: Path) -> AnyCheckpoint:
    try:
        return read_checkpoint(path)
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--checkpoint") from None


def _verifier_key(path: Path) -> VerifierKey:
    try:
        return load_verifier_key(path)
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--trusted-key") from None


def _outcome(outcome: CheckpointOutcome, names: dict[int, str]) -> dict[str, Any]:
    return {
        "file": names[id(outcome.checkpoint)],
        "format": outcome.checkpoint.format_name,
        "origin": outcome.checkpoint.origin,
        "size": outcome.checkpoint.size,
        "root": base64.b64encode(outcome.checkpoint.root).decode("ascii"),
        "created_at": outcome.checkpoint.created_at.isoformat(),
        "signed": outcome.checkpoint.signed,
        "signature": outcome.signature,
        "ok": outcome.problem is None,
        "problem": outcome.problem,
        "extends_previous": outcome.extends_previous,
    }


def _print_outcome(outcome: CheckpointOutcome, name: str) -> None:
    checkpoint = outcome.checkpoint
    when = checkpoint.created_at.isoformat()
    what = checkpoint.origin if isinstance(checkpoint, Checkpoint) else checkpoint.format_name
    head = f"checkpoint {name} ({what}, {checkpoint.size} entries, {when}, {outcome.signature})"
    if outcome.problem is None:
        say(f"{head}: the log still extends it")
    else:
        say(f"{head}: FAILED: {outcome.problem}")
    if outcome.extends_previous is not None:
        say(f"  {outcome.extends_previous}")
