"""Time to load one long case, with and without snapshots, on a SQLite file.

Run:  python benchmarks/load.py                   (about 30 seconds)
      python benchmarks/load.py --sizes 1000 --runs 3   (quick look)

Setup
    For each size S (default 1,000 and 10,000 events) one case is written to a fresh
    SQLite file in a temporary directory by the normal ``CaseDesk`` (snapshots every
    ``SNAPSHOT_INTERVAL`` = 50 events): opened, an agent assigned, then S - 2 events
    cycling add_note / log_contact / record_payment, built quickly by calling the
    aggregate's commands 500 times per ``desk._save`` (one transaction per batch).
    ``save`` snapshots at every version within a batch that is a multiple of 50, so
    the case ends with a snapshot at version S; the script checks that it exists (no
    explicit ``take_snapshot`` is needed). A second desk, ``NoSnapshotDesk`` (a
    CaseDesk subclass with ``snapshotting_intervals = {}`` and
    ``IS_SNAPSHOTTING_ENABLED=n``, see _common.py), opens the same file and never
    reads the snapshots.

What is timed (each a median of ``--runs`` runs; in a run the calls take turns, each
repeated enough times to last ~50 ms, giving the time per call; warm OS page cache;
the with/without ratios are taken per run, then the median)
    load, snapshot at head   ``desk._load(id)``: snapshot S, no events to replay
                             (best case; S is a multiple of 50).
    load, snapshot + 49      ``desk._store.repository.get(id, version=S - 1,
                             projector_func=<the desk's projector>)``: snapshot S - 50
                             plus 49 events, the most a snapshotting desk ever replays.
    load, no snapshots       ``NoSnapshotDesk._load(id)``: all S events replayed.
    view fold                ``desk.case(id)``: reads every event and folds the
                             frozen CaseView (no snapshots by design), for reference.
Then a breakdown of the no-snapshot load per event: reading the rows
(``recorder.select_events``), decoding them (``mapper.to_domain_event``) and folding
them (the desk's projector). Timing is ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from _common import AGENT, OCCURRED_AT, check, machine, median, open_case, open_desk, spread

from casehistory import CaseDesk, Channel, Demeanour, Direction, Money
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.desk._base import _project

BATCH = 500
"""Events per save while building a case."""


def build_case(desk: CaseDesk, size: int) -> UUID:
    """Write a case of exactly ``size`` events, ``BATCH`` events per save."""
    case_id = open_case(desk)  # versions 1 and 2
    amount = Money("12.50", "USD")
    written = 2
    while written < size:
        case = desk._load(case_id)
        for _ in range(min(BATCH, size - written)):
            i = written
            now = desk.clock.now()
            kind = i % 3
            if kind == 0:
                case.add_note(
                    text=f"note {i}: customer called back",
                    by=AGENT,
                    occurred_at=OCCURRED_AT,
                    recorded_at=now,
                )
            elif kind == 1:
                case.log_contact(
                    channel=Channel.EMAIL,
                    direction=Direction.OUTBOUND,
                    summary=f"sent label {i}",
                    demeanour=Demeanour.CALM,
                    by=AGENT,
                    occurred_at=OCCURRED_AT,
                    recorded_at=now,
                )
            else:
                case.record_payment(
                    amount=amount,
                    reference=f"order-{i}",
                    by=AGENT,
                    occurred_at=OCCURRED_AT,
                    recorded_at=now,
                )
            written += 1
        desk._save(case)
    return case_id


def per_call(
    calls: dict[str, Callable[[], object]], runs: int, min_run: float = 0.05
) -> dict[str, list[float]]:
    """Seconds per call of each of ``calls``, one figure per run.

    The calls take turns within each run (round robin), so a noisy spell of the machine
    hits them alike; each turn repeats its call enough times to last ~``min_run``.
    """
    repeats: dict[str, int] = {}
    for name, call in calls.items():
        started = time.perf_counter()
        call()  # warm-up, and a first estimate of the time per call
        repeats[name] = max(1, int(min_run / max(time.perf_counter() - started, 1e-9)))
    figures: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            gc.collect()
            started = time.perf_counter()
            for _ in range(repeats[name]):
                call()
            figures[name].append((time.perf_counter() - started) / repeats[name])
    return figures


@dataclass
class SizeResult:
    size: int
    snapshot_version: int
    snapshot_bytes: int
    build_seconds: float
    timings: dict[str, list[float]] = field(default_factory=dict)
    per_event_us: dict[str, float] = field(default_factory=dict)


def measure(size: int, runs: int, folder: str) -> SizeResult:
    path = os.path.join(folder, f"case-{size}.sqlite")
    desk = open_desk(path, snapshots=True)
    started = time.perf_counter()
    case_id = build_case(desk, size)
    build_seconds = time.perf_counter() - started

    if desk._store.snapshots is None:
        raise RuntimeError("the normal desk has no snapshot store")
    stored = desk._store.snapshots.recorder.select_events(case_id, desc=True, limit=1)
    check(bool(stored) and stored[0].originator_version == size, "a snapshot at the head")
    no_snapshots = open_desk(path, snapshots=False)
    check(desk._load(case_id).version == size, "case has all events")
    check(no_snapshots._load(case_id).version == size, "case has all events (no snapshots)")
    before_head = desk._store.repository.get(case_id, version=size - 1, projector_func=_project)
    check(before_head.version == size - 1, "as-of-version load")

    result = SizeResult(size, stored[0].originator_version, len(stored[0].state), build_seconds)
    calls: dict[str, Callable[[], object]] = {
        "load, snapshot at head": lambda: desk._load(case_id),
        "load, snapshot + 49": lambda: desk._store.repository.get(
            case_id, version=size - 1, projector_func=_project
        ),
        "load, no snapshots": lambda: no_snapshots._load(case_id),
        "view fold desk.case()": lambda: desk.case(case_id),
    }
    result.timings = per_call(calls, runs)

    # Where a full replay goes, per event.
    recorder, mapper = no_snapshots._recorder, no_snapshots._mapper
    records = recorder.select_events(case_id)
    events = [mapper.to_domain_event(r) for r in records]
    parts: dict[str, Callable[[], object]] = {
        "read rows": lambda: recorder.select_events(case_id),
        "decode": lambda: [mapper.to_domain_event(r) for r in records],
        "fold": lambda: _project(None, events),
    }
    for name, figures in per_call(parts, runs).items():
        result.per_event_us[name] = 1e6 * median(figures) / len(records)
    desk.close()
    no_snapshots.close()
    return result


def report(results: list[SizeResult]) -> None:
    print()
    print(f"{'events':>7}  {'what':<24} {'ms per call, median [min-max]':>32}")
    for r in results:
        for name, figures in r.timings.items():
            ms = [1000 * f for f in figures]
            print(f"{r.size:>7}  {name:<24} {spread(ms):>32}")
        full = r.timings["load, no snapshots"]
        head = [f / h for f, h in zip(full, r.timings["load, snapshot at head"], strict=True)]
        worst = [f / w for f, w in zip(full, r.timings["load, snapshot + 49"], strict=True)]
        print(
            f"{'':>7}  no snapshots / with, per run: {median(head):.1f}x (snapshot at head), "
            f"{median(worst):.1f}x (snapshot + 49)"
        )
        parts = ", ".join(f"{k} {v:.1f}" for k, v in r.per_event_us.items())
        print(f"{'':>7}  full replay per event (us): {parts}")
        print(
            f"{'':>7}  snapshot v{r.snapshot_version}: {r.snapshot_bytes} bytes of state; "
            f"built in {r.build_seconds:.2f} s"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10000],
        help="case sizes in events, multiples of the snapshot interval (default 1000 10000)",
    )
    args = parser.parse_args(argv)
    for size in args.sizes:
        if size % SNAPSHOT_INTERVAL or size < 2 * SNAPSHOT_INTERVAL:
            parser.error(f"sizes must be multiples of {SNAPSHOT_INTERVAL}, at least 100")

    print(f"load one case, SQLite file | {machine()}")
    print(f"runs={args.runs}, snapshot interval {SNAPSHOT_INTERVAL}, {BATCH} events per build save")
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        results = [measure(size, args.runs, folder) for size in args.sizes]
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
