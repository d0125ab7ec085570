"""Speed of the auditor's passes over a whole store, against reading the same log.

Run:  python benchmarks/audit.py                  (about a minute)
      python benchmarks/audit.py --cases 60 --runs 3   (quick look)

Setup
    The five stories, told ``--cases / 5`` times over into one SQLite file (84 events
    per telling: ``--cases 600`` gives ~10,000 events in 600 cases), by the normal
    ``CaseDesk`` with its clock; then a JSON Lines export of every case to a file.

What is timed (each a median of ``--runs`` runs, warm OS page cache)
    baseline: read the log   every row of the log through ``recorder.select_notifications``
                             in pages of 500, each decoded by ``mapper.to_domain_event``:
                             the least any verification must do.
    verify (scan_log)        every chain recomputed in one pass over the log.
    checkpoint               ``make_checkpoint``: the same pass, feeding the Merkle tree.
    verify + 2 checkpoints   ``check_store`` with two checkpoints (half the log, all of
                             it): the pass, the roots, a consistency proof.
    verify named cases       ``verify_cases`` over every case, one at a time.
    export jsonl             ``write_jsonl`` of every case to a file.
    verify bundle            ``verify_bundle`` of that file (no store).
Figures are events per second and the ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from _common import check, machine, median

from casehistory import CaseDesk, SteppingClock
from casehistory.audit.export_jsonl import verify_bundle, write_jsonl
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import check_store, make_checkpoint
from casehistory.audit.verify import log_rows, verify_cases
from casehistory.stories import STORIES

NOW = datetime(2026, 11, 1, tzinfo=UTC)
"""Store time of the first event: after every business time the stories use."""


def build(path: str, tellings: int) -> int:
    desk = CaseDesk.open(path, clock=SteppingClock(NOW))
    for _ in range(tellings):
        for story in STORIES:
            story.tell(desk)
    events = sum(1 for _ in log_rows(desk))
    desk.close()
    return events


def read_log(desk: CaseDesk) -> None:
    for row in log_rows(desk):
        desk._mapper.to_domain_event(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "cases.sqlite")
        bundle = os.path.join(folder, "cases.jsonl")
        events = build(path, max(1, args.cases // len(STORIES)))
        desk = CaseDesk.open(path, clock=SteppingClock(NOW))
        case_ids = list(desk.case_ids())
        half, _ = make_checkpoint(desk, NOW)
        check(half is not None, "the store verifies")
        print(f"{len(case_ids)} cases, {events} events in {path}")

        def export() -> None:
            with open(bundle, "w", encoding="utf-8") as out:
                write_jsonl(desk, case_ids, out)

        def bundle_check() -> None:
            with open(bundle, encoding="utf-8") as lines:
                check(verify_bundle(lines).ok, "the bundle verifies")

        export()
        timed: dict[str, Callable[[], object]] = {
            "baseline: read the log": lambda: read_log(desk),
            "verify (scan_log)": lambda: check(scan_log(desk).ok, "verifies"),
            "checkpoint": lambda: make_checkpoint(desk, NOW),
            "verify + 2 checkpoints": lambda: check(
                check_store(desk, [half, half]).ok,
                "extends",  # type: ignore[list-item]
            ),
            "verify named cases": lambda: check(verify_cases(desk, case_ids).ok, "verifies"),
            "export jsonl": export,
            "verify bundle": bundle_check,
        }
        seconds: dict[str, list[float]] = {name: [] for name in timed}
        for _ in range(args.runs):
            for name, work in timed.items():
                start = time.perf_counter()
                work()
                seconds[name].append(time.perf_counter() - start)
        desk.close()
    base = median(seconds["baseline: read the log"])
    print(f"\n{'pass':<26}{'seconds':>10}{'events/s':>12}{'x baseline':>12}")
    for name, runs in seconds.items():
        taken = median(runs)
        print(f"{name:<26}{taken:>10.3f}{events / taken:>12,.0f}{taken / base:>12.2f}")


if __name__ == "__main__":
    sys.exit(main())
