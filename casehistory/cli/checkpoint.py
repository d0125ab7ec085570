"""``casehistory checkpoint``: pin the whole event log in a checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from casehistory.audit.checkpoint import load_private_key
from casehistory.audit.store_checks import make_checkpoint
from casehistory.cli._app import Refused, console, db_option, main, open_desk
from casehistory.cli.audit import log_progress, report
from casehistory.errors import CaseHistoryError


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
