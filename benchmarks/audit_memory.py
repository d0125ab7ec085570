"""Peak memory of verify and export as the store grows: flat in the number of events.

Run:  python benchmarks/audit_memory.py                 (about ten minutes: 110,000 events)
      python benchmarks/audit_memory.py --sizes 2000 20000   (quick look)

Setup
    For each size N, a SQLite file of N events in cases of ``--per-case`` events each
    (an opening and notes), recorded by the normal ``CaseDesk``.

What is measured
    The peak of memory allocated by Python (``tracemalloc``) while
    ``scan_log`` verifies the whole store, and while ``export_verified`` verifies and
    exports it to a file (what ``casehistory export --format jsonl`` does), measured from
    a desk already open. The ratio between the largest and the smallest store says
    whether memory grows with the store: ``scan_log`` keeps a chain head per case (tens
    of bytes each); the export holds one case at a time and reads the log's order a page
    at a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

from _common import check, machine

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.audit.export_jsonl import export_verified
from casehistory.audit.scan import scan_log

NOW = datetime(2026, 11, 1, tzinfo=UTC)
WHEN = datetime(2026, 10, 1, tzinfo=UTC)
AGENT = Actor("a.lee", Role.AGENT)


def build(path: str, events: int, per_case: int) -> None:
    desk = CaseDesk.open(path, clock=SteppingClock(NOW))
    for number in range(max(1, events // per_case)):
        case_id = desk.open_case(
            customer=Customer(f"C-{number}", "Dana Reyes"),
            subject="Laptop will not charge",
            channel=Channel.EMAIL,
            by=AGENT,
            occurred_at=WHEN,
        )
        for note in range(per_case - 1):
            desk.add_note(case_id, text=f"note {note}", by=AGENT, occurred_at=WHEN)
    desk.close()


def peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(path: str, export_path: str) -> tuple[int, int, int]:
    """(verify peak, export peak, cases) for the store at ``path``."""
    desk = CaseDesk.open(path, clock=SteppingClock(NOW))
    case_ids = list(desk.case_ids())

    def export() -> None:  # what `casehistory export --format jsonl` does: verify and write
        with open(export_path, "w", encoding="utf-8") as out:
            verification, _ = export_verified(desk, None, out)
        check(verification.ok, "the export verifies")

    try:
        verified = peak(lambda: check(scan_log(desk).ok, "the store verifies"))
        return verified, peak(export), len(case_ids)
    finally:
        desk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--per-case", type=int, default=100)
    args = parser.parse_args()
    print(machine())
    print(f"\n{'events':>8}{'cases':>8}{'verify peak':>14}{'export peak':>14}")
    peaks: list[tuple[int, int]] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = os.path.join(folder, f"cases-{size}.sqlite")
            build(path, size, args.per_case)
            verified, exported, cases = measure(path, os.path.join(folder, "export.jsonl"))
            peaks.append((verified, exported))
            kib = 1024
            print(f"{size:>8,}{cases:>8,}{verified / kib:>11,.0f} KiB{exported / kib:>11,.0f} KiB")
    (v0, e0), (v1, e1) = peaks[0], peaks[-1]
    growth = args.sizes[-1] / args.sizes[0]
    print(f"\nstore x{growth:.0f}: verify peak x{v1 / v0:.2f}, export peak x{e1 / e0:.2f}")


if __name__ == "__main__":
    sys.exit(main())
