"""``casehistory catalog status``, ``rebuild`` and ``follow``: keep the catalog.

``status`` reads (the store is opened read-only, like the auditor's verbs); ``rebuild``
and ``follow`` write the catalog's tables beside the events, so they open the store for
writing, once a read-only look has found a casehistory store there (a mistyped path is
an error, not a new store). docs/catalog.md says how to run the follower.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from casehistory.catalog._follow import MAX_BATCH, Progress
from casehistory.catalog._follow import follow as follow_log
from casehistory.catalog._projection import BATCH
from casehistory.cli._app import Refused, db_option, main, open_desk, where
from casehistory.cli._output import print_json, say
from casehistory.desk import CaseDesk

__all__ = ["catalog"]

_DENIED = re.compile(r"permission denied|read-?only|readonly|insufficient privilege", re.I)


@main.group(epilog="Example: casehistory catalog status --db cases.sqlite")
def catalog() -> None:
    """The catalog: every case at once, in tables beside the events (docs/catalog.md).

    `status` says where it stands against the log, `rebuild` folds the whole log again,
    `follow` keeps it up to date while desks write. Each takes --db.
    """


@contextmanager
def _writing(db: str, verb: str) -> Iterator[CaseDesk]:
    """A writable desk on the store at ``db``, which must exist."""
    with open_desk(db):
        pass  # exit 2 for no store, 1 for another application's file; nothing created
    try:
        with open_desk(db, writable=True) as desk:
            yield desk
    except Refused as error:
        if _DENIED.search(error.message):
            raise Refused(
                f"catalog {verb} writes the catalog's tables beside the events, and this "
                f"login may not write to the store {where(db)}: {error.message}. Run it with "
                "a login that may (docs/catalog.md#operations)"
            ) from None
        raise


@catalog.command(epilog="Example: casehistory catalog status --json --db cases.sqlite")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--max-behind",
    type=click.IntRange(min=0),
    metavar="N",
    help="Exit with 1 when the catalog is more than N behind the log (for monitoring).",
)
@db_option
def status(as_json: bool, max_behind: int | None, db: str) -> None:
    """Where the catalog stands: its position, the log's head, how far behind it is.

    Positions are the log's notification ids: `behind` is the head less the position
    (ids may skip on PostgreSQL, so it may count a few more than the events missing).
    Reads only: the store is opened read-only.
    """
    with open_desk(db) as desk:
        now = desk.catalog.status()
    if as_json:
        print_json(
            {
                "exists": now.exists,
                "position": now.position,
                "head": now.head,
                "behind": now.behind,
            }
        )
    else:
        exists = "yes" if now.exists else "none yet (`casehistory catalog rebuild` makes it)"
        say(f"catalog   {exists}")
        say(f"position  {now.position}")
        say(f"head      {now.head}")
        say(f"behind    {now.behind}")
    if max_behind is not None and now.behind > max_behind:
        raise Refused(f"the catalog is {now.behind} behind the log, more than {max_behind}")


@catalog.command(epilog="Example: casehistory catalog rebuild --db cases.sqlite")
@db_option
def rebuild(db: str) -> None:
    """Empty the catalog and fold the whole log again (made where missing).

    One transaction empties it; then the log is applied in batches, each with its
    position, as a follower does. A follower running meanwhile is not disturbed: its
    next batch finds the position moved and reads on from there.
    """
    with _writing(db, "rebuild") as desk:
        started = time.perf_counter()
        applied = desk.catalog.rebuild()
        took = time.perf_counter() - started
        now = desk.catalog.status()
    say(
        f"rebuilt the catalog: {applied} events applied in {took:.2f} s; "
        f"at position {now.position} (the log's head: {now.head})"
    )


@catalog.command(epilog="Example: casehistory catalog follow --db postgresql://desk@db/cases")
@click.option(
    "--batch",
    type=click.IntRange(1, MAX_BATCH),
    default=BATCH,
    show_default=True,
    metavar="N",
    help="The most events written in one transaction.",
)
@click.option(
    "--once", is_flag=True, help="Apply what the log holds now, then exit (no following)."
)
@click.option(
    "--poll",
    type=click.FloatRange(0.01, 3600),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="SQLite: the wait between rounds that found nothing; PostgreSQL: how often "
    "a quiet follower looks for a stop.",
)
@click.option("--verbose", "-v", is_flag=True, help="Print one line per batch written.")
@db_option
def follow(batch: int, once: bool, poll: float, verbose: bool, db: str) -> None:
    """Keep the catalog up to date while desks write, until SIGINT or SIGTERM.

    On PostgreSQL it listens to the log (LISTEN/NOTIFY) and writes what has arrived,
    up to --batch events, in one transaction; on SQLite it catches up in rounds, every
    --poll seconds when the log is quiet. Every batch commits with its position, so a
    follower killed at any moment loses no event and applies none twice when it starts
    again; several may run at once. SIGINT and SIGTERM stop it between batches (exit 0).
    """
    stop = threading.Event()
    shown = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Set from another thread: Event.set here could wait for the lock that the
        # interrupted Event.wait holds.
        threading.Thread(target=stop.set).start()

    def on_batch(progress: Progress) -> None:
        nonlocal shown
        say(
            f"batch {progress.batches}: {progress.applied - shown} events, "
            f"position {progress.position}"
        )
        shown = progress.applied

    with _writing(db, "follow") as desk, _signals(on_signal):
        start = desk.catalog.status()
        if not once:
            say(
                f"following the log of {where(db)} from position {start.position} "
                f"(the log's head: {start.head}); SIGINT or SIGTERM stops it"
            )
        progress = follow_log(
            desk,
            stop,
            batch=batch,
            once=once,
            poll=poll,
            on_batch=on_batch if verbose else None,
        )
        head = desk.catalog.status().head
    if once:
        say(
            f"applied {progress.applied} events in {_batches(progress)}; the catalog "
            f"is at position {progress.position} (the log's head: {head})"
        )
    else:
        say(
            f"stopped at position {progress.position}: {progress.applied} events applied "
            f"in {_batches(progress)}"
        )


def _batches(progress: Progress) -> str:
    return f"{progress.batches} batch" + ("" if progress.batches == 1 else "es")


@contextmanager
def _signals(handler: Any) -> Iterator[None]:
    """``handler`` for SIGINT and SIGTERM within the block (the main thread only: a
    thread cannot set handlers, and then the caller's stop event is its way to stop)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
