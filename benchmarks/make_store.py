"""Build a realistic, seeded store of many cases, timed against raw SQLite inserts.

Run:  python benchmarks/make_store.py                       (100,000 cases, ~1M events)
      python benchmarks/make_store.py --cases 2000          (a quick look, ~30 s)
      python benchmarks/make_store.py --cases 2000 --db "postgresql://...?schema=bench"

The store (_store_scripts.py)
    ``--cases`` cases opened over twelve months (2025-12-01 to 2026-11-30, fewer at
    weekends and at night), about 10 events each, by 60 agents (six departments), 8
    supervisors and 3 managers, for customers who come back (about 3 cases each on average,
    a few very often), in USD, EUR or GBP. Nine scripts: questions, cases awaiting the
    customer, refunds (some denied), RMAs (repairs under warranty or paid, replacements),
    escalations approved or denied (then goodwill), holds (most released), credits,
    cancellations, payments; resolved and closed, a few reopened, linked or praised,
    some abandoned, and the last weeks' cases still open, awaiting the customer or
    escalated when the year ends. Each script runs in sessions (a few commands, then
    one save: one transaction), the sessions of all cases in business-time order, so
    the log interleaves cases as a desk's does. The same ``--seed`` builds the same
    store, byte for byte.

How it is written
    Through the desk's own write path, as load.py builds its cases: the aggregate's
    commands (every rule checked, digests, a state commitment at each 50th version)
    and ``desk._save`` (the transaction, then the snapshots it took). The builder keeps
    the aggregates of open cases in memory (a desk with an aggregate cache) rather than
    loading a case before each session.

The baseline, in the same run
    The same rows (each stored event's bytes, read back from the store untimed; the
    snapshots as written) inserted into bare tables of eventsourcing's SQLite shape in
    a fresh SQLite file (WAL, as eventsourcing opens it; no index but the primary keys),
    with ``executemany``, in the same transactions (one BEGIN ... COMMIT per save),
    ``--runs`` times. Ratios: build time / baseline time (median), for the whole build
    and for the time spent in ``desk._save`` alone (encoding, inserting, committing).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from _common import check, machine, median, spread
from _store_scripts import END, Builder, Built

from casehistory import CaseDesk, FixedClock

EVENTS_TABLE = (
    "CREATE TABLE {name} (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version))"
)
SNAPSHOTS_TABLE = EVENTS_TABLE + " WITHOUT ROWID"
"""eventsourcing 9.5's SQLite tables (SQLiteApplicationRecorder, SQLiteAggregateRecorder)."""


def revision() -> str:
    """The commit of the casehistory measured, and whether its files differ from it."""
    import casehistory

    root = os.path.dirname(os.path.dirname(os.path.abspath(casehistory.__file__)))
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "casehistory"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "casehistory outside git (an export?)"
    return f"casehistory at {head}" + (", with uncommitted changes" if changed else "")


def build_store(location: str, cases: int, seed: int) -> Built:
    """Build the store at ``location`` (a SQLite path or a PostgreSQL URL, empty)."""
    desk = CaseDesk.open(location, clock=FixedClock(END))
    try:
        check(not desk._recorder.max_notification_id(), f"the store {location} is empty")
        built = Built()
        Builder(desk, seed, built).run(cases)
        return built
    finally:
        desk.close()


def _rows(location: str) -> Iterator[tuple[str, int, str, bytes]]:
    """The stored events in log order, as eventsourcing's SQLite recorder inserts them."""
    desk = CaseDesk.open(location, read_only=True)
    try:
        start = 0
        while True:
            page = desk._recorder.select_notifications(start, 2000, inclusive_of_start=False)
            if not page:
                return
            for n in page:
                yield n.originator_id.hex, n.originator_version, n.topic, n.state
            start = page[-1].id
    finally:
        desk.close()


def raw_inserts(location: str, built: Built, folder: str) -> float:
    """Seconds to insert the store's rows into bare tables, in the build's transactions."""
    path = os.path.join(folder, f"raw-{time.monotonic_ns()}.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(EVENTS_TABLE.format(name="events"))
    conn.execute(SNAPSHOTS_TABLE.format(name="snapshots"))
    events = "INSERT INTO events VALUES (?,?,?,?)"
    snapshots = "INSERT INTO snapshots VALUES (?,?,?,?)"
    rows = _rows(location)
    seconds, chunk = 0.0, 5000
    try:
        for first in range(0, len(built.plan), chunk):
            plan = built.plan[first : first + chunk]
            batches = [  # read untimed
                built.snapshots[-n - 1] if n < 0 else [next(rows) for _ in range(n)] for n in plan
            ]
            started = time.perf_counter()
            for n, batch in zip(plan, batches, strict=True):
                conn.execute("BEGIN")
                conn.executemany(snapshots if n < 0 else events, batch)
                conn.execute("COMMIT")
            seconds += time.perf_counter() - started
        check(next(rows, None) is None, "the baseline inserted every stored event")
        count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        check(count == built.events, f"the baseline holds {built.events} events, not {count}")
    finally:
        rows.close()
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    return seconds


def report(built: Built, raw: list[float], location: str) -> dict[str, Any]:
    """Print the build's figures; return them (catalog.py prints them again)."""
    transactions = len(built.plan)
    snapshots = sum(len(s) for s in built.snapshots)
    raw_median = median(raw)
    figures = {
        "cases": built.cases,
        "events": built.events,
        "transactions": transactions,
        "snapshots": snapshots,
        "build_s": built.seconds,
        "save_s": built.save_seconds,
        "raw_s": raw_median,
        "build_ratio": built.seconds / raw_median,
        "save_ratio": built.save_seconds / raw_median,
    }
    print(f"store: {location}")
    print(
        f"{built.cases:,} cases, {built.events:,} events ({built.events / built.cases:.1f} a "
        f"case), {transactions:,} transactions ({built.events / transactions:.2f} events "
        f"each, snapshots apart), {snapshots:,} snapshots"
    )
    print("scripts: " + ", ".join(f"{k} {v:,}" for k, v in sorted(built.scripts.items())))
    kinds = sorted(built.by_type.items(), key=lambda kv: -kv[1])
    print("events:  " + ", ".join(f"{k} {v:,}" for k, v in kinds))
    print()
    print(f"{'':<34}{'seconds':>10}{'events/s':>12}{'x raw':>8}")
    rows = (
        ("build (commands + saves)", built.seconds),
        ("  of which desk._save", built.save_seconds),
        ("raw SQLite inserts, median", raw_median),
    )
    for name, seconds in rows:
        speed, ratio = built.events / seconds, seconds / raw_median
        print(f"{name:<34}{seconds:>10.1f}{speed:>12,.0f}{ratio:>8.1f}")
    print(f"raw SQLite inserts, {len(raw)} runs: {spread(raw)} s")
    if location.startswith("postgres"):
        print("(the store is PostgreSQL; the baseline is always a SQLite file in TMPDIR)")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100_000, help="cases (default 100,000)")
    parser.add_argument("--seed", type=int, default=11, help="random seed (default 11)")
    parser.add_argument("--out", help="SQLite file to build (default: one in TMPDIR, kept)")
    parser.add_argument("--db", help="a postgresql:// URL of an empty schema instead of --out")
    parser.add_argument("--runs", type=int, default=3, help="baseline runs (default 3)")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.runs < 1:
        parser.error("--cases and --runs must be at least 1")
    location = args.db or args.out
    if location is None:
        location = os.path.join(tempfile.gettempdir(), f"store-{args.cases}-s{args.seed}.sqlite")
    if not args.db and os.path.exists(location):
        parser.error(f"{location} exists: give another --out, or remove it")
    print(f"make_store | {machine()} | {revision()}")
    print(f"--cases {args.cases} --seed {args.seed} --runs {args.runs}")
    built = build_store(location, args.cases, args.seed)
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        raw = [raw_inserts(location, built, folder) for _ in range(args.runs)]
    report(built, raw, location)
    return 0


if __name__ == "__main__":
    sys.exit(main())
