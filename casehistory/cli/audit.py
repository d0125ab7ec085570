"""``casehistory verify``, ``checkpoint`` and ``export``: the auditor's verbs.

They read the store and never write to it, so they run under any actor's name,
an auditor's included.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich import box
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from casehistory.audit.checkpoint import Checkpoint, load_private_key
from casehistory.audit.export_csv import write_csv
from casehistory.audit.export_html import write_html
from casehistory.audit.export_jsonl import verify_bundle, write_jsonl
from casehistory.audit.store_checks import CheckpointOutcome, check_store, make_checkpoint
from casehistory.audit.verify import Verification, verify_cases
from casehistory.cli._app import Refused, console, db_option, main, open_desk
from casehistory.errors import CaseHistoryError

__all__ = ["case_ids_argument", "log_progress", "report"]


def _case_ids(_: click.Context, __: click.Parameter, values: Sequence[str]) -> list[UUID]:
    ids = []
    for value in values:
        try:
            ids.append(UUID(value))
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not a case id (a UUID such as the ones `list` prints)"
            ) from None
    return ids


def case_ids_argument(func: Any) -> Any:
    """``CASE...``: any number of case ids (none: every case in the store)."""
    return click.argument("case_ids", metavar="[CASE]...", nargs=-1, callback=_case_ids)(func)


@contextmanager
def log_progress(what: str) -> Iterator[Callable[[int], None] | None]:
    """A spinner counting events on a terminal; nothing when the output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task(what, total=None)
        yield lambda events: progress.update(task, description=f"{what}: {events:,} events")


def report(verification: Verification, what: str) -> None:
    """Print the findings as a table and one summary line."""
    out = console()
    counted = f"{verification.cases} cases, {verification.events} events"
    if verification.ok:
        out.print(f"{what}: {counted}: every chain holds")
        return
    table = Table("case", "version", "problem", "what is wrong", box=box.SIMPLE)
    for finding in verification.findings:
        table.add_row(
            str(finding.case_id or "-"),
            str(finding.version or "-"),
            finding.problem.value,
            finding.detail,
        )
    out.print(table)
    found = len(verification.findings)
    out.print(f"{what}: {counted}: {found} finding{'s' if found > 1 else ''}")


def _as_json(verification: Verification, **more: Any) -> str:
    return json.dumps(
        {
            "ok": verification.ok and all(c["ok"] for c in more.get("checkpoints", [])),
            "cases": verification.cases,
            "events": verification.events,
            "findings": [
                {
                    "case_id": str(f.case_id) if f.case_id else None,
                    "version": f.version,
                    "problem": f.problem.value,
                    "detail": f.detail,
                }
                for f in verification.findings
            ],
            **more,
        },
        indent=2,
    )


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


_FORMATS = ("jsonl", "csv", "html")


def _write(fmt: str, desk: Any, case_ids: Sequence[UUID], out: TextIO) -> None:
    if fmt == "jsonl":
        write_jsonl(desk, case_ids, out)
    elif fmt == "csv":
        write_csv(desk, case_ids, out)
    else:
        write_html(desk, case_ids, out, generated_at=desk.clock.now())


@main.command(
    epilog="Example: casehistory export --format html -o cases.html",
)
@case_ids_argument
@click.option("--format", "fmt", type=click.Choice(_FORMATS), required=True, help="What to write.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (default: standard output).",
)
@db_option
def export(case_ids: list[UUID], fmt: str, output: Path | None, db: str) -> None:
    """Export cases (all of them unless named): jsonl (one record per event, verifiable
    offline with `verify --bundle`), csv (the audit trail) or html (one printable page)."""
    with open_desk(db) as desk:
        chosen = case_ids or list(desk.case_ids())
        for case_id in chosen:
            desk._require_exists(case_id)  # refuse before writing anything
        if output is None:
            _write(fmt, desk, chosen, sys.stdout)
            return
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                _write(fmt, desk, chosen, out)
            partial.replace(output)  # never leave half an export under the real name
        except OSError as error:
            raise Refused(f"cannot write {output}: {error}") from None
        finally:
            partial.unlink(missing_ok=True)
    cases = f"{len(chosen)} case{'s' if len(chosen) != 1 else ''}"
    console().print(f"exported {cases} as {fmt} to {output}", highlight=False)


@main.command(epilog="Example: casehistory checkpoint -o today.json --key signing.pem")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the checkpoint to this file (default: standard output).",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign with this Ed25519 private key (PEM, as `openssl genpkey -algorithm ed25519` "
    "writes).",
)
@db_option
def checkpoint(output: Path | None, key: Path | None, db: str) -> None:
    """Pin the whole event log: its size and RFC 9162 Merkle tree head, now.

    Verifies every chain first; a store that fails gets no checkpoint (exit 1). Keep the
    file where the store's operators cannot change it; `verify --checkpoint FILE` later
    proves the store still extends it."""
    try:
        signing_key = load_private_key(key) if key is not None else None
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--key") from None
    with open_desk(db) as desk, log_progress("checkpointing") as progress:
        made, verification = make_checkpoint(
            desk, desk.clock.now(), key=signing_key, progress=progress
        )
    if made is None:
        report(verification, "store")
        raise Refused("no checkpoint: the store fails verification (see above)")
    if output is None:
        click.echo(made.to_json())
        return
    made.write(output)
    signed = "signed" if made.signature is not None else "unsigned"
    console().print(
        f"checkpoint of {made.size} entries ({signed}) written to {output}: root {made.root.hex()}"
    )
