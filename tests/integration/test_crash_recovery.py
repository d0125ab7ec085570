"""Writers killed with SIGKILL in the middle of their writes (issue 10, point 10).

Rounds of two writer processes record notes, payments and refunds on three cases of
one store; the test kills each writer with SIGKILL once it has acknowledged a random
number of commands, at a random moment of its next command, so the kill lands wherever
that writer then is: loading a case, inside the insert, between commit and snapshot,
or before its acknowledgement left. Afterwards the
store opens, every acknowledged command is recorded exactly once, a writer's recorded
commands are exactly its acknowledged ones plus at most the one it was killed in, and
``casehistory verify --rules`` (and SQLite's integrity check) passes.
"""

from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from casehistory import CaseDesk
from casehistory.desk import SNAPSHOT_INTERVAL
from tests.integration._workers import (
    Command,
    Reports,
    check_store,
    commands,
    finish,
    open_cases,
    start_writer,
    stop,
)

ROUNDS = 3
WRITERS = 2
CASES = 3
KILL_AFTER = 20
"""A writer is killed once it acknowledged 1 to 20 commands (drawn at random)."""
COMMANDS = 300
"""Per writer: far more than it acknowledges before it is killed."""


@dataclass
class Victim:
    """A writer and when it is to be killed: once it acknowledged ``kill_after``
    commands, at a random moment of the next (up to 1.5 times its last command's time)."""

    commands: list[Command]
    process: BaseProcess
    pipe: Connection
    kill_after: int
    reports: Reports = field(default_factory=Reports)
    kill_at: float | None = None

    def read(self) -> None:
        self.reports.read(self.pipe)
        if self.kill_at is None and len(self.reports.acks) >= self.kill_after:
            last = self.reports.acks[-1]
            self.kill_at = last.returned + random.uniform(0, 1.5 * (last.returned - last.called))


def kill_at_random(victims: list[Victim], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while alive := [victim for victim in victims if victim.process.exitcode is None]:
        now = time.monotonic()
        assert now < deadline, "the writers did not reach their kills in time"
        for victim in alive:
            if victim.kill_at is not None and now >= victim.kill_at:
                victim.process.kill()
                victim.process.join(10)
        due = [victim.kill_at - now for victim in alive if victim.kill_at is not None]
        ready = wait([victim.pipe for victim in alive], timeout=max(0, min(due, default=1)))
        for victim in alive:
            if victim.pipe in ready:
                victim.read()


def test_writers_killed_mid_write_lose_no_acknowledged_command(store: str) -> None:
    case_ids = open_cases(store, CASES)
    # The first case is near its first snapshot (SNAPSHOT_INTERVAL), so that some kills
    # land between an event's commit and its snapshot.
    before = commands("before", case_ids[:1], SNAPSHOT_INTERVAL - 10)
    with CaseDesk.open(store) as desk:
        for command in before:
            getattr(desk, command.verb)(command.case_id, **command.arguments())
    killed: list[Victim] = []
    for round_ in range(ROUNDS):
        victims = []
        for n in range(WRITERS):
            mine = commands(f"r{round_}w{n}", case_ids, COMMANDS)
            process, pipe = start_writer(store, mine)
            victims.append(Victim(mine, process, pipe, random.randint(1, KILL_AFTER)))
        try:
            kill_at_random(victims)
        finally:
            stop(victim.process for victim in victims)
        for victim in victims:
            finish(victim.reports, victim.pipe, victim.process)
            assert not victim.reports.failures
            assert victim.process.exitcode == -signal.SIGKILL, "a writer ended before its kill"
        killed += victims

    acknowledged = {ack.marker for victim in killed for ack in victim.reports.acks}
    acknowledged |= {command.marker for command in before}
    sent = acknowledged | {command.marker for victim in killed for command in victim.commands}
    markers = check_store(store, case_ids, acknowledged, sent)
    for victim in killed:
        recorded = [command for command in victim.commands if command.marker in markers]
        # Commands run one after the other: what is recorded is what was acknowledged,
        # and perhaps the command the kill interrupted after its commit.
        assert recorded == victim.commands[: len(recorded)]
        assert len(victim.reports.acks) <= len(recorded) <= len(victim.reports.acks) + 1
