"""A follower keeping the catalog while desk processes write, on PostgreSQL: how far
behind it runs (lag), and whether the followed catalog equals a rebuild.

Run:  python benchmarks/follow_lag.py                       (about 30 s)
      python benchmarks/follow_lag.py --writers 4 --cases 100 --db postgresql://...

Setup
    A fresh schema (``--db``, default the local server's ``test`` database). ``--writers``
    processes (default 4) each open their own desk and record ``--cases`` cases of
    ``EVENTS`` events each, one command (one transaction) at a time, as desks do. The
    main process runs :func:`casehistory.catalog.follow` in a thread on its own desk.

What is reported
    Events per second written by all writers together. Lag: for each event, the time
    from its writer's command returning (its transaction committed) to the follower's
    batch holding it being committed, wall clock (``time.time``, one machine): p50, p99
    and max. Then the followed tables are compared with a rebuild's, row for row.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from _common import check, machine

from casehistory import Actor, CaseDesk, Channel, Customer, Money, Role, SteppingClock
from casehistory.catalog import Progress, follow

EVENTS = 5
"""Events per case: opened, assigned, paid, noted, resolved."""
AGENT = Actor("a.lee", Role.AGENT)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def write(url: str, writer: int, cases: int, out: Any) -> None:
    """One desk process: its commits, each with the log position and the time it
    returned."""
    from casehistory import Fault

    clock = SteppingClock(datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=writer))
    commits: list[tuple[int, float]] = []
    with CaseDesk.open(url, clock=clock) as desk:

        def done() -> None:
            assert desk.last_position is not None
            commits.append((desk.last_position, time.time()))

        for n in range(cases):
            at = T0 + timedelta(minutes=n)
            case_id = desk.open_case(
                customer=Customer(f"C-{writer}-{n}", "Kim Lee"),
                subject="follow lag",
                channel=Channel.EMAIL,
                by=AGENT,
                occurred_at=at,
            )
            done()
            desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=at)
            done()
            desk.record_payment(
                case_id, amount=Money("10.00", "EUR"), reference="r", by=AGENT, occurred_at=at
            )
            done()
            desk.add_note(case_id, text="called back", by=AGENT, occurred_at=at)
            done()
            desk.resolve_case(
                case_id, resolution="done", fault=Fault.NONE, by=AGENT, occurred_at=at
            )
            done()
    out.put(commits)


def dump(desk: CaseDesk) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "cases": "SELECT * FROM {p}catalog_cases ORDER BY case_id",
        "money": "SELECT * FROM {p}catalog_money ORDER BY case_id, currency",
        "ledger": 'SELECT * FROM {p}catalog_ledger ORDER BY case_id, version, "column"',
    }
    with desk.catalog._db.transaction(write=False) as run:
        return {name: run(query, ()) for name, query in queries.items()}


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--cases", type=int, default=50, help="cases per writer")
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    schema = f"follow_lag_{int(time.time())}"
    with psycopg.connect(args.db, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{args.db}?schema={schema}"
    print(f"follow lag, PostgreSQL | {machine()}")
    print(f"{args.writers} writer processes x {args.cases} cases x {EVENTS} events")
    try:
        with CaseDesk.open(url) as desk:
            desk.catalog.catch_up()  # the tables, before anyone writes
            applied: list[tuple[int, float]] = []

            def on_batch(progress: Progress) -> None:
                applied.append((progress.position, time.time()))

            stop = threading.Event()
            follower = threading.Thread(
                target=follow, args=(desk, stop), kwargs={"on_batch": on_batch, "poll": 0.05}
            )
            follower.start()
            out: Any = multiprocessing.Queue()
            started = time.time()
            writers = [
                multiprocessing.Process(target=write, args=(url, w, args.cases, out))
                for w in range(args.writers)
            ]
            for process in writers:
                process.start()
            commits = [c for _ in writers for c in out.get()]
            for process in writers:
                process.join()
            written = time.time() - started
            head = max(position for position, _ in commits)
            while not applied or applied[-1][0] < head:
                if not follower.is_alive():
                    break
                time.sleep(0.01)  # a benchmark, not a test: wait for the follower
            stop.set()
            follower.join()
            lags = []
            for position, committed in commits:
                caught = next(at for pos, at in applied if pos >= position)
                lags.append(max(caught - committed, 0.0))
            events = len(commits)
            print(f"\nwritten: {events} events in {written:.2f} s ({events / written:.0f}/s)")
            print(
                f"lag ms: p50 {1000 * percentile(lags, 50):.1f}, "
                f"p99 {1000 * percentile(lags, 99):.1f}, max {1000 * max(lags):.1f}; "
                f"{len(applied)} batches"
            )
            followed = dump(desk)
            desk.catalog.rebuild()
            check(dump(desk) == followed, "the followed catalog equals a rebuild")
            print("followed catalog == rebuild: yes")
    finally:
        with psycopg.connect(args.db, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
