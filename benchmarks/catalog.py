"""The catalog at scale: rebuild, a paged query, a full scan, and audit memory.

Run:  python benchmarks/catalog.py                       (builds 100,000 cases first: ~1 h)
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
    (a) rebuild   ``desk.catalog.rebuild()`` against the baseline: every row of the log
                  read through ``recorder.select_notifications`` in pages of 500 (the
                  projection's batch) and decoded by ``mapper.to_domain_event``. The
                  ratio is rebuild speed / baseline speed (target >= 0.5). Then the
                  rebuild's peak memory, each in a fresh process on the store: the peak
                  RSS (``ru_maxrss``) with the increase over the process before the
                  rebuild, and the peak of Python allocations (``tracemalloc``, in
                  another process); target under 200 MB. The same on the small store.
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
``--profile`` adds cProfile's top 15 (own time) of one rebuild and of 200 queries.
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

from _common import check, machine, median, spread
from load import per_call
from make_store import build_store, raw_inserts, report, revision

from casehistory import CaseDesk, Channel, FixedClock, Status
from casehistory.audit.export_jsonl import export_verified
from casehistory.audit.scan import scan_log
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


def rebuild_speed(desk: CaseDesk, runs: int) -> dict[str, Any]:
    events = desk.catalog.rebuild()  # warm-up; and the tables exist from here on
    check(events == read_log(desk), "the rebuild applies every event of the log")
    rebuild: list[float] = []
    baseline: list[float] = []
    for run in range(runs):
        for name in ("rebuild", "baseline") if run % 2 == 0 else ("baseline", "rebuild"):
            started = time.perf_counter()
            desk.catalog.rebuild() if name == "rebuild" else read_log(desk)
            (rebuild if name == "rebuild" else baseline).append(time.perf_counter() - started)
    ratios = [b / r for b, r in zip(baseline, rebuild, strict=True)]
    print(f"\n(a) rebuild, {events:,} events, {runs} runs")
    print(f"{'':<36}{'seconds, median [min-max]':>28}{'events/s':>11}")
    for name, figures in (("read + decode the log (baseline)", baseline), ("rebuild", rebuild)):
        print(f"{name:<36}{spread(figures):>28}{events / median(figures):>11,.0f}")
    print(f"rebuild speed / baseline speed: {spread(ratios)} (target >= 0.5)")
    return {
        "events": events,
        "rebuild_s": median(rebuild),
        "read_s": median(baseline),
        "speed_ratio": median(ratios),
    }


def child_rebuild(location: str, mode: str) -> None:
    """In a fresh process: rebuild, print the memory figures as JSON (``--child``)."""
    desk = open_desk(location)
    desk.catalog.status()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if mode == "trace":
        tracemalloc.start()
    started = time.perf_counter()
    events = desk.catalog.rebuild()
    seconds = time.perf_counter() - started
    figures = {"seconds": seconds, "rss_before": before, "events": events}
    if mode == "trace":
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    figures["rss_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    desk.close()
    print(json.dumps(figures))


def rebuild_memory(location: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for mode in ("rss", "trace"):
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, location],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    rss, trace = figures["rss"], figures["trace"]
    return {
        "rss_peak": rss["rss_peak"],
        "rss_added": rss["rss_peak"] - rss["rss_before"],
        "traced_peak": trace["traced_peak"],
        "seconds": rss["seconds"],
        "events": rss["events"],
    }


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
    desk = open_desk(location)
    out = os.path.join(folder, "export.jsonl")

    def peak(work: Callable[[], object]) -> int:
        tracemalloc.start()
        try:
            work()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

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


def profile(desk: CaseDesk, asked: dict[str, Any]) -> None:
    for name, work in (
        ("one rebuild", lambda: desk.catalog.rebuild()),
        (
            "200 x two pages",
            lambda: [
                desk.catalog.cases(
                    **asked["ask"],
                    limit=PAGE,
                    after=desk.catalog.cases(**asked["ask"], limit=PAGE).cursor,
                )
                for _ in range(200)
            ],
        ),
    ):
        profiler = cProfile.Profile()
        profiler.runcall(work)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        print(f"\ncProfile, {name}, top 15 by own time:")
        print("\n".join(line for line in text.getvalue().splitlines()[6:] if line.strip()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", help="a store of make_store.py (SQLite path or URL)")
    parser.add_argument("--small", help="a store of a tenth of the cases, for memory")
    parser.add_argument("--cases", type=int, default=100_000, help="cases to build (no --store)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--scan", type=int, default=0, help="cases the full scan reads (0: all)")
    parser.add_argument("--profile", action="store_true", help="cProfile rebuild and query")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_rebuild(args.child[1], args.child[0])
        return 0
    print(f"catalog at scale | {machine()} | {revision()}")
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        location, small = args.store, args.small
        if location is None:
            location = os.path.join(folder, "store.sqlite")
            print(f"\nmake_store --cases {args.cases} --seed {args.seed}")
            built = build_store(location, args.cases, args.seed)
            report(
                built, [raw_inserts(location, built, folder) for _ in range(args.runs)], location
            )
        desk = open_desk(location)
        try:
            rebuilt = rebuild_speed(desk, args.runs)
            cases = desk.catalog.count()
            asked = query(desk, args.runs)
            scan = full_scan(desk, asked, args.scan)
            if args.profile:
                profile(desk, asked)
        finally:
            desk.close()
        if small is None:
            small = os.path.join(folder, "small.sqlite")
            print(f"\nsmall store for the memory figures: --cases {max(1, cases // 10)}")
            build_store(small, max(1, cases // 10), args.seed)
        memory = {
            name: rebuild_memory(where) for name, where in (("small", small), ("store", location))
        }
        print("\n(a) rebuild memory, each in a fresh process")
        print(f"{'store':<8}{'events':>10}{'peak RSS':>11}{'RSS added':>11}{'traced peak':>13}")
        for name, m in memory.items():
            rss, added, traced = (m[k] / MB for k in ("rss_peak", "rss_added", "traced_peak"))
            print(f"{name:<8}{m['events']:>10,}{rss:>8.0f} MB{added:>8.0f} MB{traced:>10.0f} MB")
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
    peak = memory["store"]["rss_peak"] / MB
    targets = (
        (
            "rebuild speed / read + decode >= 0.5",
            f"{rebuilt['speed_ratio']:.2f}",
            rebuilt["speed_ratio"] >= 0.5,
        ),
        ("rebuild peak RSS < 200 MB", f"{peak:.0f} MB", peak < 200),
        ("two pages, catalog / SQL <= 2", f"{asked['ratio']:.2f}", asked["ratio"] <= 2),
        (
            "full scan / catalog (reference)",
            f"{scan['all_s'] / asked['ms']['catalog: pages 1 + 2'] * 1000:,.0f}x",
            True,
        ),
    )
    print("\ntargets")
    for name, figure, met in targets:
        print(f"{name:<40}{figure:>12}  {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
