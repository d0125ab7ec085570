"""Commands on one hot case with the desk's aggregate cache, against SQLite's raw
fsync-bound commit rate on the same file system, in the same run.

Run:  python benchmarks/hot_case.py                  (~30 s)
      python benchmarks/hot_case.py --runs 3 --n 500 (quick look)

Sides, each on its own SQLite file in one temporary directory (WAL, synchronous=FULL):

    casehistory  ``CaseDesk.open(<file>, cache=16)``: one case (opened and an agent
                 assigned, untimed), then N commands cycling ``add_note`` /
                 ``log_contact`` / ``record_payment`` as in commands.py. Each command
                 fast-forwards the cached case from the store (``PRAGMA data_version``,
                 and the events since the version cached if another connection
                 committed), checks every rule, and saves one event in one
                 transaction; snapshots every 50 events as usual.
    baseline     commands.py's bare eventsourcing Ticket with eventsourcing's own
                 aggregate cache (``AGGREGATE_CACHE_MAXSIZE=16``, fast-forward on, a
                 deep copy of the cached aggregate per ``get``, as the library does).
    raw sqlite3  ``BEGIN``, one ``INSERT`` of a row the size of a desk event (450
                 bytes), ``COMMIT``, with the stdlib ``sqlite3``: the rate the file
                 system's fsync allows for the transaction a command writes, which no
                 command can beat.
    raw autocommit  the same row as one ``INSERT`` in autocommit mode (the statement
                 is the transaction; two statements fewer). Shown, not the target's
                 measure: the desk cannot write that way, since a statement failing
                 with SQLite's FAIL resolution (a trigger's ``RAISE(FAIL)``) commits
                 what it did in autocommit mode.

The sides run interleaved, ``--chunk`` commands at a time, the first side rotating,
as in commands.py. The figure of merit is casehistory's commands per second divided by
raw commits per second, per run, then the median (target: at least 0.5). Each side's CPU
time per command (``time.process_time``) is printed too: the figure of merit moves with
the disk's fsync latency (slow under other processes' writes, when every side waits
alike), the CPU time does not.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from typing import Any, ClassVar

from _common import check, machine, median, new_clock, open_case, spread
from commands import Baseline, BaselineSide, CaseHistorySide, Ticket

from casehistory import CaseDesk
from casehistory.desk import SNAPSHOT_INTERVAL

CACHE = 16


class CachedCaseHistorySide(CaseHistorySide):
    """commands.py's desk side, on a desk opened with ``cache=CACHE``."""

    def __init__(self, path: str) -> None:
        self.desk = CaseDesk.open(path, clock=new_clock(), cache=CACHE)
        check(self.desk._cache is not None, "the desk caches cases")
        self.case_id = open_case(self.desk)
        self.snapshots = True
        self.ids = False
        self.done = 0


class CachedBaseline(Baseline):
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Ticket: SNAPSHOT_INTERVAL}
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": str(CACHE),
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }


class CachedBaselineSide(BaselineSide):
    def __init__(self, path: str) -> None:
        self.app = CachedBaseline(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        )
        check(self.app.repository.cache is not None, "the baseline caches aggregates")
        ticket = Ticket(customer_id="c-1", subject="power supply failed", channel="PHONE")
        self.app.save(ticket)
        self.ticket_id = ticket.id
        self.snapshots = True
        self.done = 0


class RawSide:
    """BEGIN, one INSERT, COMMIT per transaction, nothing else."""

    autocommit = False

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        mode = self.connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        check(mode == "wal", "raw side in WAL mode")
        self.connection.execute("PRAGMA synchronous=FULL")
        check(self.connection.execute("PRAGMA synchronous").fetchone()[0] == 2, "FULL")
        self.connection.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        self.stream = uuid.uuid4().hex
        self.state = b"x" * 450
        self.done = 0

    def step(self, count: int) -> float:
        execute, state, stream = self.connection.execute, self.state, self.stream
        started = time.perf_counter()
        insert = "INSERT INTO stored_events VALUES (?, ?, ?, ?)"
        if self.autocommit:
            for i in range(self.done, self.done + count):
                execute(insert, (stream, i + 1, "event", state))  # its own transaction
        else:
            for i in range(self.done, self.done + count):
                execute("BEGIN")
                execute(insert, (stream, i + 1, "event", state))
                execute("COMMIT")
        elapsed = time.perf_counter() - started
        self.done += count
        return elapsed

    def finish(self) -> None:
        (rows,) = self.connection.execute("SELECT count(*) FROM stored_events").fetchone()
        check(rows == self.done, "all raw rows committed")
        self.connection.close()


class RawAutocommitSide(RawSide):
    """One INSERT per transaction, in autocommit mode."""

    autocommit = True


SIDES = ("casehistory", "baseline", "raw sqlite3", "raw autocommit")


def one_run(folder: str, tag: str, n: int, chunk: int) -> dict[str, float]:
    sides: list[tuple[str, Any]] = [
        ("casehistory", CachedCaseHistorySide(os.path.join(folder, f"{tag}-desk.sqlite"))),
        ("baseline", CachedBaselineSide(os.path.join(folder, f"{tag}-baseline.sqlite"))),
        ("raw sqlite3", RawSide(os.path.join(folder, f"{tag}-raw.sqlite"))),
        ("raw autocommit", RawAutocommitSide(os.path.join(folder, f"{tag}-auto.sqlite"))),
    ]
    totals = dict.fromkeys(SIDES, 0.0)
    cpu = dict.fromkeys(SIDES, 0.0)
    gc.collect()
    for number, start in enumerate(range(0, n, chunk)):
        turn = number % len(sides)
        for name, side in sides[turn:] + sides[:turn]:
            before = time.process_time()
            totals[name] += side.step(min(chunk, n - start))
            cpu[name] += time.process_time() - before
    for _, side in sides:
        side.finish()
    CPU_SECONDS.append(cpu)
    return totals


CPU_SECONDS: list[dict[str, float]] = []
"""Each run's CPU time (``time.process_time``) per side: the time a side is not waiting
for the disk (fsync) or for a CPU that other processes hold."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs (default 5)")
    parser.add_argument("--n", type=int, default=2000, help="commands per side (2000)")
    parser.add_argument("--chunk", type=int, default=50, help="commands per turn (50)")
    parser.add_argument(
        "--baseline-statements",
        action="store_true",
        help="give the baseline the desk's cache of prepared statements (commands.py)",
    )
    args = parser.parse_args(argv)
    Baseline.cache_statements = args.baseline_statements
    print(f"one hot case, aggregate cache, against raw SQLite commits | {machine()}")
    print(f"runs={args.runs}, N={args.n}, cache={CACHE}, WAL + synchronous=FULL on every side")
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        print(f"files in {folder}")
        one_run(folder, "warm", 60, 20)
        runs = []
        for run in range(args.runs):
            totals = one_run(folder, f"run{run}", args.n, args.chunk)
            runs.append(totals)
            rates = {name: args.n / seconds for name, seconds in totals.items()}
            print(
                f"  run {run + 1}/{args.runs}: "
                + ", ".join(f"{name} {rate:6.0f}/s" for name, rate in rates.items())
                + f", casehistory / raw {rates['casehistory'] / rates['raw sqlite3']:.2f}",
                flush=True,
            )
    print()
    print(f"{'side':<16} {'per second':>12} {'ms each':>9} {'CPU ms each':>12}")
    timed = CPU_SECONDS[-len(runs) :]  # the runs', not the warm-up's
    for name in SIDES:
        seconds = median([totals[name] for totals in runs])
        cpu = median([run[name] for run in timed])
        print(
            f"{name:<16} {args.n / seconds:>12.0f} {1000 * seconds / args.n:>9.3f} "
            f"{1000 * cpu / args.n:>12.3f}"
        )
    of_raw = [t["raw sqlite3"] / t["casehistory"] for t in runs]
    baseline_of_raw = [t["raw sqlite3"] / t["baseline"] for t in runs]
    of_autocommit = [t["raw autocommit"] / t["casehistory"] for t in runs]
    print()
    print(f"casehistory commands / raw commits, per run: {spread(of_raw)} (target >= 0.5)")
    print(f"baseline commands / raw commits, per run:    {spread(baseline_of_raw)}")
    print(f"casehistory commands / raw autocommit INSERTs, per run: {spread(of_autocommit)}")
    print(
        "(the ratio is fsync-bound: when the disk is slow, as when other processes write,"
        " every side waits alike and it nears 1; compare the CPU column)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
