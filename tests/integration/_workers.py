"""Writers in child processes, for the crash and concurrency tests: each opens its own
desk on a shared store and runs a list of commands, and reports every command it saw
acknowledged (the desk call returned) on a pipe, only after the call returned.

A child is started by a fork server (:data:`PROCESSES`), so it shares nothing with
the test but the store and the pipe: forking the test's own process would copy its
open desks, pools and threads, while the server is a fresh interpreter that only
imported this module. A writer starts in tens of milliseconds, where ``spawn`` spends
about a second importing pytest, eventsourcing and the desk in every child.

Every command carries a unique ``marker`` in its free text, so :func:`stored_markers`
can count what the store holds. A report on the pipe is one small message, written in
one ``write`` (below ``PIPE_BUF``): a writer killed with SIGKILL leaves whole reports
or none, and the reports it sent before the kill stay readable after it.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from typing import Any
from uuid import UUID

from click.testing import CliRunner

from casehistory import (
    Actor,
    CaseDesk,
    CaseHistoryError,
    Channel,
    ConcurrentUpdate,
    Customer,
    Money,
    Role,
)
from casehistory.cli import main
from casehistory.domain.sealed import Sealed, shown_text

AGENT = Actor("a.lee", Role.AGENT)
AMOUNT = Money("1.00", "USD")
OCCURRED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""Business time of every command: before any store time of the system clock."""

PROCESSES = multiprocessing.get_context("forkserver")
PROCESSES.set_forkserver_preload([__name__])

MARKED_FIELDS = {"add_note": "text", "record_payment": "reference", "issue_refund": "reason"}
"""The commands a writer can send, and the free-text argument that carries the marker."""


@dataclass(frozen=True)
class Command:
    """One desk command: ``verb`` on ``case_id``, its marker in its free text (see
    :data:`MARKED_FIELDS`); ``options`` are further keyword arguments for the desk."""

    verb: str
    case_id: UUID
    marker: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        money = {} if self.verb == "add_note" else {"amount": AMOUNT}
        return {
            MARKED_FIELDS[self.verb]: self.marker,
            **money,
            "by": AGENT,
            "occurred_at": OCCURRED_AT,
            **self.options,
        }


def open_cases(location: str, count: int) -> list[UUID]:
    """Cases open and assigned (where refunds are allowed), at version 2."""
    with CaseDesk.open(location) as desk:
        case_ids = [
            desk.open_case(
                customer=Customer(f"c{n}", f"Customer {n}"),
                subject=f"case {n}",
                channel=Channel.PHONE,
                by=AGENT,
                occurred_at=OCCURRED_AT,
            )
            for n in range(count)
        ]
        for case_id in case_ids:
            desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=OCCURRED_AT)
    return case_ids


def commands(name: str, case_ids: list[UUID], count: int) -> list[Command]:
    """A note, a payment and a refund of that payment, on each case in turn."""
    verbs = ("add_note", "record_payment", "issue_refund")
    return [
        Command(verbs[n % 3], case_ids[n // 3 % len(case_ids)], f"{name}-{n}") for n in range(count)
    ]


@dataclass(frozen=True)
class Ack:
    """A command the desk acknowledged, and when (``time.monotonic``, one clock for all
    processes on Linux) the writer called the desk and the call returned."""

    marker: str
    called: float
    returned: float


@dataclass
class Reports:
    """What one writer reported; ``failures`` are ``(marker, error type, message)``."""

    done: bool = False
    ended: bool = False
    """The writer's end of the pipe is closed: every report has been read."""
    acks: list[Ack] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)

    def read(self, pipe: Connection) -> None:
        """Read every report the pipe holds now, without waiting."""
        while not self.ended and pipe.poll():
            try:
                kind, *rest = pipe.recv()
            except EOFError:
                self.ended = True
                return
            if kind == "ack":
                self.acks.append(Ack(*rest))
            elif kind == "conflict":
                self.conflicts.append(rest[0])
            elif kind == "failed":
                self.failures.append((rest[0], rest[1], rest[2]))
            elif kind == "done":
                self.done = True


def write(
    location: str,
    commands: list[Command],
    reports: Connection,
    start: Barrier | None = None,
    retries: int = 100,
) -> None:
    """Run in a child: open a desk on ``location``, wait at ``start`` with the other
    writers, run ``commands`` in order, and report each on ``reports``.

    A command refused with :class:`ConcurrentUpdate` is run again (the desk reloads
    the case each time), at most ``retries`` times; every refusal is reported as a
    ``conflict``. Any other refusal is reported as ``failed`` and ends the writer.
    """
    desk = CaseDesk.open(location)
    if start is not None:
        start.wait(timeout=60)
    with desk:
        for command in commands:
            run = getattr(desk, command.verb)
            for attempt in range(retries + 1):
                called = time.monotonic()
                try:
                    run(command.case_id, **command.arguments())
                except ConcurrentUpdate:
                    reports.send(("conflict", command.marker))
                    if attempt == retries:
                        reports.send(("failed", command.marker, "ConcurrentUpdate", "retries"))
                        return
                    continue
                except CaseHistoryError as error:
                    reports.send(("failed", command.marker, type(error).__name__, str(error)))
                    return
                reports.send(("ack", command.marker, called, time.monotonic()))
                break
    reports.send(("done",))


def start_writer(
    location: str,
    commands: list[Command],
    start: Barrier | None = None,
) -> tuple[BaseProcess, Connection]:
    """A started writer process and the pipe its reports arrive on."""
    reader, writer = PROCESSES.Pipe(duplex=False)
    process = PROCESSES.Process(target=write, args=(location, commands, writer, start), daemon=True)
    process.start()
    writer.close()  # the child holds its own end: the pipe ends when the child does
    return process, reader


def run_writers(location: str, commands: list[list[Command]], timeout: float = 60) -> list[Reports]:
    """Run one writer per list of commands, all at once: each opens its desk, then all
    start together. Returns their reports once every writer ended."""
    start = PROCESSES.Barrier(len(commands))
    writers = [start_writer(location, mine, start) for mine in commands]
    reports = {pipe: Reports() for _, pipe in writers}
    deadline = time.monotonic() + timeout
    try:
        while pending := [pipe for pipe, report in reports.items() if not report.ended]:
            assert time.monotonic() < deadline, "the writers did not end in time"
            for pipe in wait(pending, timeout=1.0):
                reports[pipe].read(pipe)  # type: ignore[index, arg-type]
    finally:
        stop([process for process, _ in writers])
    for process, pipe in writers:
        finish(reports[pipe], pipe, process)
        assert process.exitcode == 0, f"a writer exited with {process.exitcode}"
    return list(reports.values())


def stop(processes: Iterable[BaseProcess]) -> None:
    """Kill the writers still running (after a failed check), so none outlives its test."""
    for process in processes:
        if process.exitcode is None:
            process.kill()
            process.join(10)


def finish(reports: Reports, pipe: Connection, process: BaseProcess, timeout: float = 60) -> None:
    """Wait for the writer to end, then read every report it left in the pipe."""
    process.join(timeout)
    assert process.exitcode is not None, "a writer did not end in time"
    reports.read(pipe)
    pipe.close()


def check_store(
    location: str, case_ids: list[UUID], acknowledged: set[str], sent: set[str]
) -> Counter[str]:
    """Check the store after the writers: it opens for writing and read-only, every
    acknowledged command is recorded exactly once, no command twice and nothing that
    was not sent; every case's versions run 1, 2, 3... with no gap; ``casehistory
    verify --rules`` passes (and SQLite's own integrity check). Returns the markers."""
    with CaseDesk.open(location), CaseDesk.open(location, read_only=True) as reader:
        markers = stored_markers(reader, case_ids)
        for case_id in case_ids:
            versions = [event.originator_version for event in reader.history(case_id)]
            assert versions == list(range(1, len(versions) + 1)), case_id
    assert not {m: n for m, n in markers.items() if n > 1}, "recorded twice"
    assert not acknowledged - markers.keys(), "acknowledged, yet not recorded"
    assert not markers.keys() - sent, "recorded, yet never sent"
    verify = CliRunner().invoke(main, ["verify", "--rules", "--db", location], env={})
    assert verify.exit_code == 0, verify.output
    assert "every chain holds" in verify.output
    if not location.startswith("postgresql://"):
        with closing(sqlite3.connect(location)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return markers


def stored_markers(desk: CaseDesk, case_ids: Iterable[UUID]) -> Counter[str]:
    """How many times each marker is recorded on the cases."""
    counts: Counter[str] = Counter()
    for case_id in case_ids:
        for event in desk.history(case_id):
            for name in set(MARKED_FIELDS.values()):
                marker = getattr(event, name, None)
                if isinstance(marker, str | Sealed):  # a note's text and a reason: sealed
                    counts[shown_text(marker)] += 1
    return counts
