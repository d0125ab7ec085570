"""The catalog at scale: rebuild, a paged query, a full scan, and audit memory.

Run:  python benchmarks/catalog.py                       (builds 100,000 cases first: hours)
      python benchmarks/catalog.py --store /tmp/store-100000-s11.sqlite   (a store of
                                    make_store.py; its catalog tables are rebuilt)
      python benchmarks/catalog.py --cases 2000 --runs 3 (a quick look, ~2 min)

Setup
    Without ``--store``, make_store.py builds a store of ``--cases`` cases (``--seed``)
    in a temporary directory, and its figures are printed first (build speed against
    raw SQLite inserts of the same rows, ``--runs`` baseline runs). Without ``--small``,
    a SQLite store of a tenth of the store's cases (same seed) is built for the memory
    comparisons. A ``--store`` may be a PostgreSQL URL; its catalog tables are rebuilt.

What is measured (medians of ``--runs`` runs, interleaved, warm OS page cache)
    (a) rebuild   ``desk.catalog.rebuild()``, each in a fresh process (as ``casehistory
                  catalog rebuild`` runs), ``--rebuilds`` times, taking turns with the
                  baseline: every row of the log read through
                  ``recorder.select_notifications`` in pages of 500 (the projection's
                  batch) and decoded by ``mapper.to_domain_event``, in this process. The
                  ratio is rebuild speed / baseline speed (target >= 0.5). Memory: the
                  rebuild process's peak RSS (``ru_maxrss``) and how much the rebuild
                  added to it; with ``--trace``, one more rebuild under ``tracemalloc``
                  (the peak of Python allocations). Target under 200 MB. The same, once,
                  on the small store: how the rebuild scales.
    (b) query     status OPEN, channel EMAIL, opened in one month (the latest with two
                  full pages), ``limit=50``, then the second page through the cursor:
                  ``desk.catalog.cases(...)`` against a hand-written SQL query of the
                  same rows (cases and their money) through the desk's own database
                  connection; ratio catalog / SQL for the two pages (target <= 2).
                  Also timed: ``catalog._fresh()`` alone, the check that the catalog
                  holds the log's head which every query makes first.
    (c) full scan the same question answered by loading every case's view through the
                  desk (``desk.case(id)`` for each of ``desk.case_ids()``): all cases, or
                  the first ``--scan``, extrapolated to all (said so); once.
    (d) audit     peak of Python allocations (``tracemalloc``) of ``scan_log`` (verify)
                  and of ``export_verified`` to a file (``export --format jsonl``), on
                  the small store and on the store: flat means the ratio stays near 1.
``--profile`` adds cProfile's top 15 (own time) of a rebuild of the small store and of
200 queries (two pages each) on the store.
``--rebuild-only`` measures (a) alone: on the store, and on ``--small`` only if given
(none is built); with ``--profile``, the cProfile of a rebuild of the store.
``--clock cpu`` times (a) in the CPU time of each timed process (the rebuild's with its
worker's, the baseline's) instead of wall time: steadier on a shared machine, but blind
to I/O waits, and to what a second core gives (the worker's time is added, not
overlapped). A rebuild of a large log on a machine with two cores folds in two
processes (docs/catalog.md); ``--one-process`` measures the rebuild without its worker.
Each rebuild's line is followed by its wall time, the CPU time of the rebuild's process
and of its worker, and the worker's peak RSS.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import check, machine, median, peak, spread
from load import per_call
from make_store import build_store, raw_inserts, report, revision

from casehistory import CaseDesk, Channel, FixedClock, Status
from casehistory.catalog._schema import CASE_COLUMNS, MONEY_COLUMNS

PAGE = 50
MB = 1024 * 1024


def open_desk(location: str) -> CaseDesk:
    return CaseDesk.open(location, clock=FixedClock(datetime(2027, 1, 1, tzinfo=UTC)))


def read_log(desk: CaseDesk) -> int:
    """The baseline: read and decode every row of the log, in pages of 500."""
    recorder, mapper = desk._recorder, desk._mapper
    start, count = 0, 0
    while True:
        page = recorder.select_notifications(start, 500, inclusive_of_start=False)
        if not page:
            return count
        for notification in page:
            mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id


# (a) Rebuild ---------------------------------------------------------------------------


CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK_NAME = ["wall"]
"""The clock of (a), set by --clock."""


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_rebuild(location: str, modes: str) -> None:
    """In a fresh process (``--child``): rebuild; print time and memory as JSON. The
    CPU clock counts the rebuild's worker process too (its children's CPU time)."""
    mode, clock_name, processes = [*modes.split(","), "", ""][:3]
    if processes == "one":
        from casehistory.catalog import _parallel

        _parallel.PARALLEL_EVENTS = 10**18
    desk = open_desk(location)
    desk.catalog.status()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if mode == "trace":
        tracemalloc.start()
    wall, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    worker = _cpu(resource.RUSAGE_CHILDREN)
    events = desk.catalog.rebuild()
    wall = time.perf_counter() - wall
    cpu = _cpu(resource.RUSAGE_SELF) - cpu
    worker = _cpu(resource.RUSAGE_CHILDREN) - worker
    figures = {
        "seconds": wall if clock_name in ("", "wall") else cpu + worker,
        "wall": wall,
        "cpu": cpu,
        "worker_cpu": worker,
        "rss_before": before,
        "events": events,
        "worker_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }
    if mode == "trace":
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    figures["rss_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    desk.close()
    print(json.dumps(figures))


ONE_PROCESS = [False]
"""Whether (a) rebuilds in one process (--one-process), as before the worker."""


def rebuild_in_child(location: str, mode: str = "rss") -> dict[str, Any]:
    processes = "one" if ONE_PROCESS[0] else "two"
    done = subprocess.run(
        [sys.executable, __file__, "--child", f"{mode},{CLOCK_NAME[0]},{processes}", location],
        capture_output=True,
        text=True,
        check=False,
    )
    check(done.returncode == 0, f"the rebuild process failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def rebuild(location: str, rebuilds: int, reads: int, trace: bool) -> dict[str, Any]:
    """Rebuilds, each in a fresh process (as `casehistory catalog rebuild` runs), taking
    turns with the baseline's reads of the log in this process."""
    desk = open_desk(location)
    children: list[dict[str, Any]] = []
    baseline: list[float] = []
    try:
        for run in range(max(rebuilds, reads)):
            if run < rebuilds:
                children.append(rebuild_in_child(location))
            if run < reads:
                started = CLOCKS[CLOCK_NAME[0]]()
                events = read_log(desk)
                baseline.append(CLOCKS[CLOCK_NAME[0]]() - started)
    finally:
        desk.close()
    check(all(c["events"] == events for c in children), "a rebuild applies every event")
    seconds = [c["seconds"] for c in children]
    ratio = median(baseline) / median(seconds)
    peak = max(c["rss_peak"] for c in children)
    added = max(c["rss_peak"] - c["rss_before"] for c in children)
    traced = rebuild_in_child(location, "trace")["traced_peak"] if trace else None
    return {
        "events": events,
        "baseline": baseline,
        "rebuild": seconds,
        "wall": [c["wall"] for c in children],
        "cpu": [c["cpu"] for c in children],
        "worker_cpu": [c["worker_cpu"] for c in children],
        "worker_rss": max(c["worker_rss"] for c in children),
        "speed_ratio": ratio,
        "rss_peak": peak,
        "rss_added": added,
        "traced_peak": traced,
    }


def print_rebuilds(results: dict[str, dict[str, Any]]) -> None:
    print(
        "\n(a) rebuild, each in a fresh process, against reading + decoding the log here "
        f"({CLOCK_NAME[0]} time)"
    )
    print(
        f"{'store':<7}{'events':>10}{'read + decode s':>25}{'rebuild s':>28}{'events/s':>9}"
        f"{'x read':>7}{'peak RSS':>9}{'added':>7}{'traced':>8}"
    )
    for name, r in results.items():
        traced = "" if r["traced_peak"] is None else f"{r['traced_peak'] / MB:.0f}"
        print(
            f"{name:<7}{r['events']:>10,}{spread(r['baseline']):>25}{spread(r['rebuild']):>28}"
            f"{r['events'] / median(r['rebuild']):>9,.0f}{r['speed_ratio']:>7.2f}"
            f"{r['rss_peak'] / MB:>9.0f}{r['rss_added'] / MB:>7.0f}{traced:>8}"
        )
        print(
            f"{'':<7}wall {spread(r['wall'])} s, CPU of the rebuild's process "
            f"{spread(r['cpu'])} s, of its worker {spread(r['worker_cpu'])} s "
            f"(peak RSS {r['worker_rss'] / MB:.0f} MB)"
        )
    print("(seconds: median [min-max]; x read: rebuild speed / baseline speed, target >= 0.5;")
    print(" memory in MB: peak RSS of the rebuild's process, added by the rebuild, and the")
    print(" peak of Python allocations with --trace; target under 200 MB)")


# (b) and (c) the query -----------------------------------------------------------------


def month_of(desk: CaseDesk) -> tuple[datetime, datetime]:
    """The latest month with two full pages of OPEN EMAIL cases (else the fullest)."""
    counts: dict[tuple[int, int], int] = {}
    after = None
    while True:
        page = desk.catalog.cases(
            status=Status.OPEN, channel=Channel.EMAIL, limit=1000, after=after
        )
        for row in page.rows:
            key = (row.opened_at.year, row.opened_at.month)
            counts[key] = counts.get(key, 0) + 1
        if page.cursor is None:
            break
        after = page.cursor
    if not counts:  # a tiny store: the month of its latest case (empty pages)
        latest = desk.catalog.cases(order="-opened", limit=1).rows[0].opened_at
        counts[latest.year, latest.month] = 0
    full = [key for key, n in counts.items() if n > 2 * PAGE]
    year, month = max(full) if full else max(counts, key=lambda k: counts[k])
    since = datetime(year, month, 1, tzinfo=UTC)
    until = (since + timedelta(days=32)).replace(day=1) - timedelta(microseconds=1)
    return since, until


class HandSql:
    """The same two pages by hand-written SQL, on the desk's own database connection."""

    def __init__(self, desk: CaseDesk, since: datetime, until: datetime) -> None:
        datastore = desk._recorder.datastore
        self.datastore = datastore
        self.sqlite = not hasattr(datastore, "schema")
        prefix = "" if self.sqlite else f'"{datastore.schema}".'
        mark = "?" if self.sqlite else "%s"
        cases = ", ".join(f'"{name}"' for name, _, _ in CASE_COLUMNS)
        self.money_columns = ", ".join(f'"{name}"' for name, _, _ in MONEY_COLUMNS)
        self.first = (
            f"SELECT {cases} FROM {prefix}catalog_cases WHERE status = {mark} AND channel = "
            f"{mark} AND opened_at >= {mark} AND opened_at <= {mark} "
        )
        self.order = f"ORDER BY opened_at, case_id LIMIT {mark}"
        self.after = f"AND (opened_at > {mark} OR (opened_at = {mark} AND case_id > {mark})) "
        self.money = f"SELECT {self.money_columns} FROM {prefix}catalog_money WHERE case_id IN "
        self.mark = mark
        self.more = False
        text = (lambda t: t.isoformat(timespec="microseconds")) if self.sqlite else (lambda t: t)
        self.params = ["OPEN", "EMAIL", text(since), text(until)]

    def page(self, after: tuple[Any, Any] | None) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            if after is None:
                cursor.execute(self.first + self.order, [*self.params, PAGE + 1])
            else:
                opened, case_id = after
                params = [*self.params, opened, opened, case_id, PAGE + 1]
                cursor.execute(self.first + self.after + self.order, params)
            rows = [row if self.sqlite else tuple(row.values()) for row in cursor.fetchall()]
            self.more = len(rows) > PAGE
            rows = rows[:PAGE]
            ids = [row[0] for row in rows]
            if ids:
                marks = ", ".join([self.mark] * len(ids))
                cursor.execute(f"{self.money}({marks}) ORDER BY case_id, currency", ids)
                cursor.fetchall()
        return rows

    def two_pages(self) -> tuple[list[Any], ...]:
        first = self.page(None)
        if not self.more:
            return (first,)
        return first, self.page((first[-1][12], first[-1][0]))  # opened_at, case_id


def query(desk: CaseDesk, runs: int) -> dict[str, Any]:
    since, until = month_of(desk)
    catalog = desk.catalog
    ask = {"status": Status.OPEN, "channel": Channel.EMAIL, "opened": (since, until)}

    def two_pages() -> tuple[Any, ...]:
        first = catalog.cases(**ask, limit=PAGE)
        if first.cursor is None:
            return (first,)  # no second page (a small store)
        return first, catalog.cases(**ask, limit=PAGE, after=first.cursor)

    sql = HandSql(desk, since, until)
    pages, raw = two_pages(), sql.two_pages()
    ids = [[str(r.case_id) for r in page.rows] for page in pages]
    check(ids == [[str(r[0]) for r in page] for page in raw], "SQL and catalog agree")
    matches = catalog.count(**ask)
    calls: dict[str, Callable[[], object]] = {
        "catalog: page 1": lambda: catalog.cases(**ask, limit=PAGE),
        "SQL: page 1": lambda: sql.page(None),
        "catalog: pages 1 + 2": two_pages,
        "SQL: pages 1 + 2": sql.two_pages,
        "catalog: freshness only": catalog._fresh,
    }
    timings = per_call(calls, runs)
    print(
        f"\n(b) status OPEN, channel EMAIL, opened {since:%Y-%m}: {matches} cases; pages of "
        f"{PAGE}, {len(pages[-1].rows) if len(pages) > 1 else 0} rows on page 2"
    )
    print(f"{'':<24}{'ms per call, median [min-max]':>32}")
    for name, figures in timings.items():
        print(f"{name:<24}{spread([1000 * f for f in figures]):>32}")
    ratios = {
        n: [c / s for c, s in zip(timings[f"catalog: {n}"], timings[f"SQL: {n}"], strict=True)]
        for n in ("page 1", "pages 1 + 2")
    }
    for name, figures in ratios.items():
        print(f"catalog / SQL, {name}: {spread(figures)} (target <= 2)")
    return {
        "month": f"{since:%Y-%m}",
        "matches": matches,
        "ids": [i for page in ids for i in page],
        "ms": {n: 1000 * median(f) for n, f in timings.items()},
        "ratio": median(ratios["pages 1 + 2"]),
        "ratio_page1": median(ratios["page 1"]),
        "ask": ask,
    }


def full_scan(desk: CaseDesk, asked: dict[str, Any], limit: int) -> dict[str, Any]:
    since, until = asked["ask"]["opened"]
    case_ids = list(desk.case_ids())
    scanned = case_ids[:limit] if limit > 0 else case_ids
    started = time.perf_counter()
    found = []
    for case_id in scanned:
        view = desk.case(case_id)
        if (
            view.status is Status.OPEN
            and view.channel is Channel.EMAIL
            and since <= view.opened_at <= until
        ):
            found.append((view.opened_at, str(case_id)))
    found.sort()
    seconds = time.perf_counter() - started
    whole = len(scanned) == len(case_ids)
    answer = [case_id for _, case_id in found[: 2 * PAGE]]
    if whole:
        check(answer == asked["ids"], "the full scan finds the catalog's two pages")
    estimate = seconds * len(case_ids) / len(scanned)
    said = "all cases" if whole else f"the first {len(scanned):,} cases, extrapolated"
    two_pages = asked["ms"]["catalog: pages 1 + 2"] / 1000
    print(
        f"\n(c) the same two pages by full scan ({said}): {len(scanned):,} cases in "
        f"{seconds:.1f} s ({1000 * seconds / len(scanned):.2f} ms a case); all "
        f"{len(case_ids):,} cases: {estimate:.1f} s, {estimate / two_pages:,.0f}x the "
        "catalog's two pages"
    )
    return {"scanned": len(scanned), "seconds": seconds, "all_s": estimate, "whole": whole}


# (d) verify and export memory ----------------------------------------------------------


def audit_memory(location: str, folder: str) -> dict[str, int]:
    # Imported here: (a) to (c) do not need the audit package.
    from casehistory.audit.export_jsonl import export_verified
    from casehistory.audit.scan import scan_log

    desk = open_desk(location)
    out = os.path.join(folder, "export.jsonl")

    def export() -> None:
        with open(out, "w", encoding="utf-8") as lines:
            verification, _ = export_verified(desk, None, lines)
        check(verification.ok, "the export verifies")

    try:
        return {
            "verify": peak(lambda: check(scan_log(desk).ok, "the store verifies")),
            "export": peak(export),
        }
    finally:
        desk.close()
        if os.path.exists(out):
            os.remove(out)


def profile(desk: CaseDesk, small: str, asked: dict[str, Any]) -> None:
    """cProfile's top 15 (own time): a rebuild of the small store, in this process, and
    200 times the two pages on the store."""
    ask = asked["ask"]

    def pages() -> None:
        for _ in range(200):
            first = desk.catalog.cases(**ask, limit=PAGE)
            if first.cursor is not None:
                desk.catalog.cases(**ask, limit=PAGE, after=first.cursor)

    other = open_desk(small)
    try:
        for name, work in (
            ("a rebuild of the small store", other.catalog.rebuild),
            ("200 x two pages", pages),
        ):
            profiler = cProfile.Profile()
            profiler.runcall(work)
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
            print(f"\ncProfile, {name}, top 15 by own time:")
            print("\n".join(line for line in text.getvalue().splitlines()[6:] if line.strip()))
    finally:
        other.close()


def rebuild_only(location: str, small: str | None, args: argparse.Namespace) -> int:
    """(a) alone, and the target it is measured against."""
    rebuilds = args.runs if args.rebuilds is None else args.rebuilds
    rebuilt = {} if small is None else {"small": rebuild(small, 1, 1, args.trace)}
    rebuilt["store"] = rebuild(location, rebuilds, args.runs, args.trace)
    print_rebuilds(rebuilt)
    if args.profile:
        desk = open_desk(location)
        try:
            profiler = cProfile.Profile()
            profiler.runcall(desk.catalog.rebuild)
        finally:
            desk.close()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        print("\ncProfile, a rebuild of the store, top 15 by own time:")
        print("\n".join(line for line in text.getvalue().splitlines()[6:] if line.strip()))
    store = rebuilt["store"]
    met = store["speed_ratio"] >= 0.5 and store["rss_peak"] < 200 * MB
    print(
        f"\ntargets: rebuild speed / read + decode {store['speed_ratio']:.2f} (>= 0.5), "
        f"peak RSS {store['rss_peak'] / MB:.0f} MB (< 200): {'met' if met else 'MISSED'}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", help="a store of make_store.py (SQLite path or URL)")
    parser.add_argument("--small", help="a store of a tenth of its cases (default: built)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases to build (no --store)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--rebuilds", type=int, help="rebuilds of the store (default --runs)")
    parser.add_argument("--trace", action="store_true", help="one more rebuild, tracemalloc on")
    parser.add_argument("--scan", type=int, default=0, help="cases the full scan reads (0: all)")
    parser.add_argument("--profile", action="store_true", help="cProfile rebuild and query")
    parser.add_argument("--rebuild-only", action="store_true", help="(a) alone; see the doc")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="(a) timed in wall time (default) or in the CPU time of the timed process",
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="(a) rebuilds in one process (no worker beside it), as before 2026-12-04",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_rebuild(args.child[1], args.child[0])
        return 0
    CLOCK_NAME[0] = args.clock
    ONE_PROCESS[0] = args.one_process
    print(f"catalog at scale | {machine()} | {revision()}")
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        location, small = args.store, args.small
        if location is None:
            location = os.path.join(folder, "store.sqlite")
            print(f"\nmake_store --cases {args.cases} --seed {args.seed}")
            built = build_store(location, args.cases, args.seed)
            raw = [raw_inserts(location, built, folder) for _ in range(args.runs)]
            report(built, raw, location)
        if args.rebuild_only:
            return rebuild_only(location, small, args)
        if small is None:
            desk = open_desk(location)
            cases = max(1, sum(1 for _ in desk.case_ids()) // 10)
            desk.close()
            small = os.path.join(folder, "small.sqlite")
            print(f"\nthe small store: make_store --cases {cases} --seed {args.seed}")
            build_store(small, cases, args.seed)
        rebuilds = args.runs if args.rebuilds is None else args.rebuilds
        rebuilt = {
            "small": rebuild(small, 1, 1, args.trace),
            "store": rebuild(location, rebuilds, args.runs, args.trace),
        }
        print_rebuilds(rebuilt)
        desk = open_desk(location)
        try:
            asked = query(desk, args.runs)
            scan = full_scan(desk, asked, args.scan)
            if args.profile:
                profile(desk, small, asked)
        finally:
            desk.close()
        audits = {
            name: audit_memory(where, folder)
            for name, where in (("small", small), ("store", location))
        }
    print("\n(d) peak of Python allocations (tracemalloc)")
    print(f"{'store':<8}{'verify':>12}{'export':>12}")
    for name, a in audits.items():
        print(f"{name:<8}{a['verify'] / 1024:>8,.0f} KiB{a['export'] / 1024:>8,.0f} KiB")
    ratio = {k: audits["store"][k] / audits["small"][k] for k in ("verify", "export")}
    print(f"store / small store: verify x{ratio['verify']:.2f}, export x{ratio['export']:.2f}")
    store = rebuilt["store"]
    peak = store["rss_peak"] / MB
    scanned = scan["all_s"] / asked["ms"]["catalog: pages 1 + 2"] * 1000
    targets = (
        (
            "rebuild speed / read + decode >= 0.5",
            f"{store['speed_ratio']:.2f}",
            store["speed_ratio"] >= 0.5,
        ),
        ("rebuild peak RSS < 200 MB", f"{peak:.0f} MB", peak < 200),
        ("two pages, catalog / SQL <= 2", f"{asked['ratio']:.2f}", asked["ratio"] <= 2),
        ("full scan / catalog (for reference)", f"{scanned:,.0f}x", True),
    )
    print("\ntargets")
    for name, figure, met in targets:
        print(f"{name:<40}{figure:>12}  {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
