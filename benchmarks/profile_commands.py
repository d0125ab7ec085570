"""Where a command's time goes: cProfile of the commands.py workload, one side at a time.

Run:  python benchmarks/profile_commands.py                       (both sides, no-snapshots)
      python benchmarks/profile_commands.py --scenario snapshots-50 --n 2000 --top 30
      python benchmarks/profile_commands.py --scenario ids-50 --side casehistory
      python benchmarks/profile_commands.py --scenario hot-case --side casehistory --n 3000

``hot-case`` is hot_case.py's workload: the desk opened with ``cache=16`` (each command
fast-forwards the cached case), the baseline with eventsourcing's aggregate cache.

Runs the same code as benchmarks/commands.py (``CaseHistorySide`` / ``BaselineSide``,
one side alone, after a short warm-up) under ``cProfile`` and prints the top functions
by own time and by cumulative time. Profiling inflates Python-heavy code more than SQLite's C code:
read it for *where* the time goes, and take speeds from commands.py.

Then, without the profiler, it replays the stream each side wrote and prints the
microseconds per event for reading the rows (``recorder.select_events``), decoding them
(``mapper.to_domain_event``) and folding them (the projector loop), then per event
type the decode and ``event.apply`` (the fold minus the version checks): the
per-event cost behind every load.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from commands import BaselineSide, CaseHistorySide, Side, plain_projector, run_alone
from eventsourcing.application import Application

from casehistory.desk._base import _project


def _us_per_item(call: Callable[[], object], items: int, runs: int = 5) -> float:
    """Median microseconds per item of ``call`` over ``runs`` runs of >= ~50 ms each."""
    started = time.perf_counter()
    call()
    repeat = max(1, int(0.05 / max(time.perf_counter() - started, 1e-9)))
    figures = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        figures.append((time.perf_counter() - started) / repeat)
    return 1e6 * statistics.median(figures) / max(items, 1)


def breakdown(name: str, app: Application[UUID], stream_id: UUID, projector: Any) -> None:
    """Read, decode and fold costs per event of one stream, overall and per event type."""
    recorder, mapper = app.recorder, app.mapper
    records = recorder.select_events(stream_id)
    events = [mapper.to_domain_event(r) for r in records]
    read = _us_per_item(lambda: recorder.select_events(stream_id), len(records))
    decode = _us_per_item(lambda: [mapper.to_domain_event(r) for r in records], len(records))
    fold = _us_per_item(lambda: projector(None, events), len(records))
    size = statistics.mean(len(r.state) for r in records)
    print(
        f"{name}: {len(records)} events, {size:.0f} bytes each; per event (us): "
        f"read {read:.1f}, decode {decode:.1f}, fold {fold:.1f}"
    )
    start = projector(None, events[:2])  # opened (and assigned): apply the rest by type
    for topic in sorted({r.topic for r in records[2:]}):
        chosen = [i for i in range(2, len(records)) if records[i].topic == topic]
        subset = [records[i] for i in chosen]
        decoded = [events[i] for i in chosen]
        print(
            f"  {topic:<45} decode {_us_per_item(_decoder(mapper, subset), len(subset)):5.1f}"
            f"  apply {_us_per_item(_applier(start, decoded), len(decoded)):5.1f}"
        )


def _decoder(mapper: Any, records: Sequence[Any]) -> Callable[[], object]:
    return lambda: [mapper.to_domain_event(r) for r in records]


def _applier(start: Any, events: Sequence[Any]) -> Callable[[], object]:
    """``event.apply`` (the fold without the version checks) on a copy of ``start``."""

    def apply_all() -> None:
        aggregate = object.__new__(type(start))
        aggregate.__dict__.update(start.__dict__)
        for event in events:
            event.apply(aggregate)

    return apply_all


def _stream(side: Side) -> tuple[Application[UUID], UUID, Any]:
    if isinstance(side, CaseHistorySide):
        # The desk keeps its eventsourcing Application private (``desk._store``).
        return side.desk._store, side.case_id, _project
    return side.app, side.ticket_id, plain_projector


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scenario",
        choices=["snapshots-50", "ids-50", "no-snapshots", "hot-case"],
        default="no-snapshots",
    )
    parser.add_argument("--side", choices=["casehistory", "baseline", "both"], default="both")
    parser.add_argument("--n", type=int, default=500, help="commands (default 500)")
    parser.add_argument("--top", type=int, default=20, help="rows per table (default 20)")
    args = parser.parse_args(argv)
    snapshots = args.scenario != "no-snapshots"
    ids = args.scenario == "ids-50"
    sides = ["casehistory", "baseline"] if args.side == "both" else [args.side]
    breakdowns: list[tuple[str, Side]] = []
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        for side in sides:

            def make(path: str, side: str = side) -> Side:
                if args.scenario == "hot-case":
                    from hot_case import CachedBaselineSide, CachedCaseHistorySide

                    if side == "casehistory":
                        return CachedCaseHistorySide(path)
                    return CachedBaselineSide(path)
                if side == "casehistory":
                    return CaseHistorySide(path, snapshots=snapshots, ids=ids)
                return BaselineSide(path, snapshots=snapshots)

            run_alone(make(os.path.join(folder, f"warm-{side}.sqlite")), 60)
            runner = make(os.path.join(folder, f"{side}.sqlite"))
            profile = cProfile.Profile()
            profile.enable()
            elapsed = runner.step(args.n)
            profile.disable()
            print(f"=== {side}, {args.scenario}, N={args.n}: {elapsed:.3f} s under cProfile")
            stats = pstats.Stats(profile, stream=sys.stdout)
            stats.strip_dirs().sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)
            breakdowns.append((side, runner))
        print("=== per-event replay costs, no profiler (medians of 5 runs)")
        for side, runner in breakdowns:
            app, stream_id, projector = _stream(runner)
            breakdown(side, app, stream_id, projector)
            runner.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
