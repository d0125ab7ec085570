"""Bi-temporal queries on one long case: time and stored events read, with and without
snapshots, on a SQLite file.

Run:  python benchmarks/as_of.py                  (about 1 minute)
      python benchmarks/as_of.py --runs 3         (quick look)
      python benchmarks/as_of.py --clock cpu      (process time: steadier on a shared
                                                   machine, where others' load inflates
                                                   wall time by half or more)

Setup
    One case of ``--size`` events (default 10,000) is written to a fresh SQLite file by
    the normal ``CaseDesk`` (snapshots every ``SNAPSHOT_INTERVAL`` = 50), 500 events per
    save as in load.py: opened, an agent assigned, then notes. Store times step one
    second per event (``SteppingClock``). Business times rise one minute per version,
    except for one late entry per 1,000 versions (versions 1,230, 2,230, ..., 9,230),
    entered 1,000 minutes after it occurred. ``NoSnapshotDesk`` (_common.py) opens the
    same file and never reads a snapshot.

Queries, each on both desks
    case()                   the case as it stands.
    case(known_at=middle)    as the store knew it when version 5,025 was recorded.
    case(as_of=middle)       as it stood when version 5,025 occurred: versions up to
                             5,025 and the late entry 5,230 (it occurred by then).
    case_view(history())     reads and folds every event: how desk.case() answered
                             before as-of queries existed, for reference.

Across the case
    As-of and known-at at five moments, against loading the head, warm (a desk that
    remembers the snapshots it checked) and cold (one that checks each snapshot it
    reads, as a new desk does): first with the head at a snapshot (10,000 events),
    then with 25 more events, the head 25 past its snapshot (where a head usually is).
    Both settings time the two loads, at a snapshot and 25 past one, as references.

What is reported
    ms per call: the median of ``--runs`` runs, in each the queries take turns and each
    is repeated to last ~50 ms (load.per_call; with ``--clock cpu`` the same, timed by
    this process's CPU time); warm OS page cache.
    events read: stored events and snapshots the call reads, counted by wrapping the
    desk's row reads (``desk._rows``, plain SQL on SQLite and PostgreSQL) and the
    recorders' select_events (one call, after the timing). Reading a view's ``events``
    is not timed: a view reads the events before its snapshot only when asked.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from _common import AGENT, OCCURRED_AT, check, machine, median, open_case, open_desk, spread
from load import BATCH, per_call

from casehistory import CaseDesk, CaseView
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.views import case_view

Timer = Callable[[dict[str, Callable[[], object]], int], dict[str, list[float]]]
"""Seconds per call of each call, one figure per run: per_call or cpu_per_call."""

MIDDLE = 5_025
"""The version whose store time (known_at) and business time (as_of) are queried."""


def occurred(version: int) -> datetime:
    """Business time of a version: a minute per version, late entries 1,000 minutes back."""
    if version % 1_000 == 230:
        return OCCURRED_AT + timedelta(minutes=version - 1_000)
    return OCCURRED_AT + timedelta(minutes=version)


def build_case(desk: CaseDesk, size: int) -> UUID:
    """Write a case of exactly ``size`` events, ``BATCH`` events per save."""
    case_id = open_case(desk)  # versions 1 and 2, both at OCCURRED_AT
    written = 2
    while written < size:
        case = desk._load(case_id)
        for _ in range(min(BATCH, size - written)):
            written += 1
            case.add_note(
                text=f"note {written}: customer called back",
                by=AGENT,
                occurred_at=occurred(written),
                recorded_at=desk.clock.now(),
            )
        desk._save(case)
    return case_id


def count_reads(desk: CaseDesk, call: Callable[[], object]) -> tuple[int, int]:
    """(stored events, snapshots) that ``call`` reads."""
    counts = [0, 0]
    stores = [desk._store.events, desk._store.snapshots]
    originals: list[Any] = []
    for i, store in enumerate(stores):
        if store is None:
            originals.append(None)
            continue
        original = store.recorder.select_events
        originals.append(original)

        def select_events(*args: Any, _i: int = i, _original: Any = original, **kw: Any) -> Any:
            rows = _original(*args, **kw)
            counts[_i] += len(rows)
            return rows

        store.recorder.select_events = select_events  # type: ignore[method-assign]
    rows = getattr(desk, "_rows", None)  # None: a desk from before the SQL reads

    @contextmanager
    def counted() -> Iterator[Any]:
        assert rows is not None
        with rows() as inner:
            yield _Counted(inner, counts) if inner.reader is not None else inner

    if rows is not None:
        desk._rows = counted  # type: ignore[method-assign]
    try:
        call()
    finally:
        if rows is not None:
            del desk._rows
        for store, original in zip(stores, originals, strict=True):
            if store is not None and original is not None:
                del store.recorder.select_events
    return counts[0], counts[1]


class _Counted:
    """The desk's SQL row reads, counted (reads through the recorders are counted at
    their select_events)."""

    def __init__(self, rows: Any, counts: list[int]) -> None:
        self._rows, self._counts = rows, counts

    def snapshot(self, *args: Any) -> Any:
        found = self._rows.snapshot(*args)
        self._counts[1] += found is not None
        return found

    def events(self, *args: Any) -> Any:
        found = self._rows.events(*args)
        self._counts[0] += len(found)
        return found

    def last(self, *args: Any) -> Any:
        found = self._rows.last(*args)
        self._counts[0] += found is not None
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rows, name)


def across_the_case(
    desk: CaseDesk,
    case_id: UUID,
    history: Any,
    moments: tuple[int, ...],
    runs: int,
    *,
    cold: bool = False,
    timed: Timer = per_call,
) -> None:
    """As-of and known-at at ``moments`` (versions) spread over the case, against
    loading its head: as it stands at its last snapshot, and 25 versions past it (the
    typical head, which reads a snapshot and the events after it). Whichever of the two
    is the case's own head is ``case()``; the other is timed by loading its version.

    ``cold``: every call first makes the desk forget the snapshots it checked, as a new
    desk (a CLI run, a new process) reads them: each snapshot read is decoded and its
    state hashed against the commitment of its event."""
    size = len(history)
    snapshot = size - size % SNAPSHOT_INTERVAL
    typical = snapshot + 25 if size > snapshot else snapshot - SNAPSHOT_INTERVAL + 25
    head = f"head at a snapshot (v{snapshot})"
    typical_head = f"head 25 past a snapshot (v{typical})"

    def load(version: int) -> object:
        # .last: the state at the version, folded (a Loaded folds on first use).
        return desk._loaded(case_id, version).last

    calls: dict[str, Callable[[], object]] = {}
    for name, version in ((head, snapshot), (typical_head, typical)):
        if version == size:
            calls[name + ": case()"] = lambda: desk.case(case_id)
        else:
            calls[name] = partial(load, version)
    for version in moments:
        calls[f"as_of v{version}"] = lambda v=version: desk.case(case_id, as_of=occurred(v))
        calls[f"known_at v{version}"] = lambda v=version: desk.case(
            case_id, known_at=history[v - 1].timestamp
        )
    if cold:
        calls = {
            name: (lambda call=call: (desk.snapshot_log.forget(), call())[1])
            for name, call in calls.items()
        }
    timings = {name: median(figures) for name, figures in timed(calls, runs).items()}
    at_snapshot, past = list(timings.values())[:2]
    print(f"{'moment':<40} {'ms':>8} {'x head':>8} {'x typical head':>15}")
    for name, seconds in timings.items():
        print(
            f"{name:<40} {1000 * seconds:>8.3f} {seconds / at_snapshot:>8.1f} "
            f"{seconds / past:>15.1f}"
        )


def cpu_per_call(
    calls: dict[str, Callable[[], object]], runs: int, min_run: float = 0.05
) -> dict[str, list[float]]:
    """load.per_call, timed by this process's CPU time (time.process_time)."""
    repeats: dict[str, int] = {}
    for name, call in calls.items():
        started = time.process_time()
        call()
        repeats[name] = max(1, int(min_run / max(time.process_time() - started, 1e-6)))
    figures: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            gc.collect()
            started = time.process_time()
            for _ in range(repeats[name]):
                call()
            figures[name].append((time.process_time() - started) / repeats[name])
    return figures


def extend(desk: CaseDesk, case_id: UUID, count: int) -> None:
    """``count`` more notes, business times going on a minute per version."""
    case = desk._load(case_id)
    for _ in range(count):
        version = case.version + 1
        case.add_note(
            text=f"note {version}: customer called back",
            by=AGENT,
            occurred_at=occurred(version),
            recorded_at=desk.clock.now(),
        )
    desk._save(case)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--size", type=int, default=10_000, help="events in the case")
    parser.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall", help="what times a call (wall)"
    )
    args = parser.parse_args(argv)
    if args.size < MIDDLE + 2 * SNAPSHOT_INTERVAL or args.size % SNAPSHOT_INTERVAL:
        parser.error(f"--size must be a multiple of {SNAPSHOT_INTERVAL} above {MIDDLE + 100}")
    timed: Timer = cpu_per_call if args.clock == "cpu" else per_call

    print(f"as-of queries on one case, SQLite file | {machine()}")
    print(
        f"runs={args.runs}, {args.size} events, snapshot interval {SNAPSHOT_INTERVAL}, "
        f"{args.clock} clock"
    )
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        path = os.path.join(folder, "as-of.sqlite")
        desk = open_desk(path, snapshots=True)
        case_id = build_case(desk, args.size)
        plain = open_desk(path, snapshots=False)
        history = desk.history(case_id)
        known_at, as_of = history[MIDDLE - 1].timestamp, occurred(MIDDLE)

        # Both desks give the definition's answers before anything is timed.
        answers: dict[str, Callable[[CaseDesk], CaseView]] = {
            "case()": lambda d: d.case(case_id),
            "case(known_at=middle)": lambda d: d.case(case_id, known_at=known_at),
            "case(as_of=middle)": lambda d: d.case(case_id, as_of=as_of),
            "case_view(history())": lambda d: case_view(d.history(case_id)),
        }
        wanted = {
            "case()": case_view(history),
            "case(known_at=middle)": case_view(history[:MIDDLE]),
            "case(as_of=middle)": case_view(e for e in history if e.occurred_at <= as_of),
            "case_view(history())": case_view(history),
        }
        for name, ask in answers.items():
            for d in (desk, plain):
                check(ask(d) == wanted[name], f"{name} answers the fold of its events")
        check(wanted["case(as_of=middle)"].version == MIDDLE + 205, "the late entry 5,230 counts")

        calls = {
            f"{name} {label}": (lambda ask=ask, d=d: ask(d))
            for name, ask in answers.items()
            for label, d in (("snapshots", desk), ("no snapshots", plain))
        }
        timings = timed(calls, args.runs)
        print()
        print(f"{'query':<40} {'ms per call, median [min-max]':>30} {'events':>7} {'snaps':>6}")
        for name, figures in timings.items():
            d = desk if name.endswith(" snapshots") and "no snap" not in name else plain
            events, snapshots = count_reads(d, calls[name])
            ms = [1000 * f for f in figures]
            print(f"{name:<40} {spread(ms):>30} {events:>7} {snapshots:>6}")
        print()
        for name in answers:
            ratio = median(timings[f"{name} no snapshots"]) / median(timings[f"{name} snapshots"])
            print(f"{name:<26} no snapshots / snapshots: {ratio:.1f}x")
        size = args.size
        moments = (120, size // 4, size // 2 + 25, 3 * size // 4, size - 25)
        for setting in ("at a snapshot", "25 past a snapshot"):
            if setting != "at a snapshot":
                extend(desk, case_id, 25)
                history = desk.history(case_id)
            print()
            print(f"{len(history)} events, the head {setting}")
            print("warm: the desk checked each snapshot once and remembers it")
            across_the_case(desk, case_id, history, moments, args.runs, timed=timed)
            print()
            print("cold: every call checks the snapshots it reads, as a new desk does")
            across_the_case(desk, case_id, history, moments, args.runs, cold=True, timed=timed)
        desk.close()
        plain.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
