"""``casehistory export``: the cases as JSON Lines, CSV or one HTML page.

An export first verifies what it exports (every chain of the store, or of the named
cases) and refuses a store that fails, unless ``--unverified``: then every output says
so (a banner in HTML, a field in JSON Lines, a column in CSV). With ``--checkpoint`` the
JSON Lines export is a proven bundle (:mod:`casehistory.audit.bundle`)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

import attrs
import click

from casehistory.audit.bundle import ExportProofs, prove_export, write_bundle
from casehistory.audit.export_csv import write_csv
from casehistory.audit.export_html import write_html
from casehistory.audit.export_jsonl import UNVERIFIED_FIELD, export_verified, write_jsonl
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Verification, verify_cases
from casehistory.cli._app import Refused, db_option, main, open_desk
from casehistory.cli._output import say
from casehistory.cli.audit import case_ids_argument, log_progress

_FORMATS = ("jsonl", "csv", "html")

Writer = Callable[[TextIO], object]


def _writer(
    fmt: str, desk: Any, case_ids: Sequence[UUID], proofs: ExportProofs | None, unverified: bool
) -> Writer:
    if proofs is not None:
        return lambda out: write_bundle(desk, proofs, out, unverified=unverified)
    if fmt == "jsonl":
        return lambda out: write_jsonl(desk, case_ids, out, unverified=unverified)
    if fmt == "csv":
        return lambda out: write_csv(desk, case_ids, out, unverified=unverified)
    now = desk.clock.now()
    return lambda out: write_html(desk, case_ids, out, generated_at=now, unverified=unverified)


def _refusal(verification: Verification) -> str:
    found = len(verification.findings)
    return (
        f"the store fails verification ({found} finding{'s' if found > 1 else ''}; the "
        f"first: {verification.findings[0]}); nothing was exported: run `casehistory "
        "verify` to see every finding, or export anyway with --unverified (every output "
        "is then marked unverified)"
    )


@main.command(
    epilog="Example: casehistory export --format jsonl --checkpoint today.txt",
)
@case_ids_argument
@click.option("--format", "fmt", type=click.Choice(_FORMATS), required=True, help="What to write.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="jsonl only: write a proven bundle, with this checkpoint and the proofs that "
    "tie every event to it (events recorded after it are left out).",
)
@click.option(
    "--unverified",
    is_flag=True,
    help="Export even if the store fails verification; every output is marked so.",
)
@db_option
def export(
    case_ids: list[UUID],
    fmt: str,
    output: Path | None,
    checkpoint: Path | None,
    unverified: bool,
    db: str,
) -> None:
    """Export cases (all of them unless named): jsonl (one record per event, verifiable
    offline with `verify --bundle`), csv (the audit trail) or html (one printable page).

    The store is verified first: if it fails, nothing is written (exit 1) unless
    --unverified is given."""
    if checkpoint is not None and fmt != "jsonl":
        raise click.UsageError("--checkpoint makes a proven JSON Lines bundle; use --format jsonl")
    if output is None and _to_terminal():
        raise click.UsageError(
            "an export is a file, holding the cases' text byte for byte, control characters "
            "included, which a terminal would obey; give -o FILE, or pipe it"
        )
    checkpoint_text = _read_text(checkpoint) if checkpoint is not None else None
    with open_desk(db) as desk:
        for case_id in case_ids:
            desk._require_exists(case_id)  # refuse before writing anything
        if fmt == "jsonl" and checkpoint_text is None:
            _export_jsonl(desk, case_ids, output, unverified)
            return
        proofs = None
        with log_progress("verifying") as progress:
            if checkpoint_text is not None:
                proofs = prove_export(desk, checkpoint_text, case_ids or None, progress=progress)
                verification = _of(proofs.verification, case_ids)
            elif case_ids:
                verification = verify_cases(desk, case_ids)
            else:
                verification = scan_log(desk, progress=progress)
        if not verification.ok and not unverified:
            raise Refused(_refusal(verification))
        marked = not verification.ok
        chosen = list(proofs.case_ids) if proofs else case_ids or list(desk.case_ids())
        write = _writer(fmt, desk, chosen, proofs, marked)
        if output is None:
            write(sys.stdout)
        else:
            _write_file(output, write)
    _tell(output, fmt, len(chosen), proofs, verification if marked else None)


def _to_terminal() -> bool:
    """Whether standard output is a terminal (every other verb escapes case text; an
    export keeps its bytes as they are, so it is never written to one)."""
    return sys.stdout.isatty()


def _export_jsonl(
    desk: Any, case_ids: Sequence[UUID], output: Path | None, unverified: bool
) -> None:
    """A plain JSON Lines export verified and written in one read of each case: the
    lines are spooled, and reach the output only once the store has passed (or with
    ``--unverified``, each marked)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        with log_progress("exporting") as progress:
            verification, _ = export_verified(desk, case_ids or None, spool, progress=progress)
        if not verification.ok and not unverified:
            raise Refused(_refusal(verification))
        marked = not verification.ok
        spool.seek(0)

        def write(out: TextIO) -> None:
            if not marked:
                shutil.copyfileobj(spool, out)
                return
            for line in spool:  # each line is one object: '...}\n'
                out.write(line[:-2] + ',"' + UNVERIFIED_FIELD + '":true}\n')

        if output is None:
            write(sys.stdout)
        else:
            _write_file(output, write)
    _tell(output, "jsonl", verification.cases, None, verification if marked else None)


def _of(verification: Verification, case_ids: Sequence[UUID]) -> Verification:
    """The findings that concern the exported cases (the pass read the whole log)."""
    if not case_ids:
        return verification
    named = set(case_ids)
    findings = tuple(f for f in verification.findings if f.case_id is None or f.case_id in named)
    return attrs.evolve(verification, findings=findings)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(
            f"cannot read {path}: {error}", param_hint="--checkpoint"
        ) from None


def _write_file(output: Path, write: Writer) -> None:
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            write(out)
        partial.replace(output)  # never leave half an export under the real name
    except OSError as error:
        raise Refused(f"cannot write {output}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)


def _tell(
    output: Path | None,
    fmt: str,
    count: int,
    proofs: ExportProofs | None,
    failed: Verification | None,
) -> None:
    # Standard output may be the export itself: warnings then go to standard error.
    if failed is not None:
        say(
            f"warning: UNVERIFIED export: the store fails verification "
            f"({len(failed.findings)} findings); every output is marked",
            err=True,
        )
    if output is None:
        return
    cases = f"{count} case{'s' if count != 1 else ''}"
    what = f"exported {cases} as {fmt} to {output}"
    if proofs is not None:
        what += (
            f", proven against the checkpoint of {proofs.anchor.size} entries "
            f"({proofs.events} events; events recorded after it are left out)"
        )
    say(what)
