"""``casehistory checkpoint`` (pin the whole event log in a C2SP checkpoint) and
``casehistory keygen`` (make the key pair that signs checkpoints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from casehistory.audit.checkpoint import AnyCheckpoint, read_checkpoint, store_origin
from casehistory.audit.note import SignerKey, load_signer_key, write_key_pair
from casehistory.audit.store_checks import make_checkpoint
from casehistory.audit.verify import log_rows
from casehistory.cli._app import Refused, db_option, main, open_desk
from casehistory.cli._output import say
from casehistory.cli.audit import log_progress, report
from casehistory.errors import CaseHistoryError


@main.command(
    epilog="Example: casehistory checkpoint -o new.cp --key signing.key --previous old.cp"
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the checkpoint to this file (default: standard output).",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign with this signer key (the FILE `casehistory keygen` writes; an Ed25519 PEM "
    "private key is read too).",
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Refuse to sign unless the log extends this earlier checkpoint of the store.",
)
@db_option
def checkpoint(output: Path | None, key: Path | None, previous: Path | None, db: str) -> None:
    """Pin the whole event log in a C2SP checkpoint: the store's origin, the log's size,
    its RFC 9162 Merkle root, the store time and the root of the case heads.

    Verifies every chain first; a store that fails gets no checkpoint (exit 1), and so
    does a log that does not extend --previous. Keep the file where the store's
    operators cannot change it; `verify --checkpoint FILE` later proves the store still
    extends it."""
    try:
        signing_key = load_signer_key(key) if key is not None else None
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--key") from None
    earlier: AnyCheckpoint | None = None
    if previous is not None:
        try:
            earlier = read_checkpoint(previous)
        except CaseHistoryError as error:
            raise click.BadParameter(str(error), param_hint="--previous") from None
    with open_desk(db) as desk, log_progress("checkpointing") as progress:
        made, verification = make_checkpoint(
            desk, key=signing_key, previous=earlier, progress=progress
        )
    if made is None:
        report(verification, "store")
        raise Refused("no checkpoint: the store fails verification (see above)")
    if output is None:
        click.echo(made.text(), nl=False)
        return
    try:
        made.write(output)
    except OSError as error:
        raise Refused(f"cannot write the checkpoint to {output}: {error.strerror}") from None
    signed = f"signed by {made.signatures[0].name}" if made.signatures else "unsigned"
    extends = f", extends {previous}" if previous is not None else ""
    say(
        f"checkpoint of {made.origin}: {made.size} entries, {made.cases} cases, "
        f"{signed}{extends}; written to {output}"
    )


@main.command(epilog="Example: casehistory keygen --name example.com/cases -o signing.key")
@click.option(
    "--name",
    help="The key's name, written on every signature line (no space, no '+'), such as "
    "example.com/cases (default: the origin of the store --db, as C2SP recommends).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the signer key here (mode 0600) and the verifier key to OUTPUT.pub.",
)
@db_option
def keygen(name: str | None, output: Path, db: str) -> None:
    """Make an Ed25519 key pair for signing checkpoints, in the C2SP signed-note text
    forms: the signer key (secret: give it to `checkpoint --key`) and the verifier key
    (public: give it to auditors for `verify --trusted-key`). Never overwrites a file.

    The store (--db) is read only when --name is not given, for its origin."""
    if name is None:
        with open_desk(db) as desk:
            name = _origin(desk)
    try:
        key = SignerKey.generate(name)
    except CaseHistoryError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    try:
        public = write_key_pair(key, output)
    except CaseHistoryError as error:
        raise Refused(str(error)) from None
    say(f"signer key {name} written to {output} (keep it secret); verifier key to {public}")


def _origin(desk: Any) -> str:
    # The first event of the log names the store (docs/checkpoints.md: the origin).
    first = next(iter(log_rows(desk, page=1)), None)
    if first is None:
        raise Refused(
            "the store has no event, so no origin to name the key after; open a case "
            "first, or give --name"
        )
    return store_origin(bytes.fromhex(desk.history(first.originator_id)[0].digest))
