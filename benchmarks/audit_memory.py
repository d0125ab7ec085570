"""Peak memory of verify and export as the store grows: flat in events and in cases.

Run:  python benchmarks/audit_memory.py         (about fifteen minutes: both settings)
      python benchmarks/audit_memory.py --setting cases        (many small cases only)
      python benchmarks/audit_memory.py --sizes 2000 20000     (quick look, long cases)
      python benchmarks/audit_memory.py --stores a.sqlite b.sqlite   (existing stores,
                                                  e.g. two built by make_store.py)

Setup
    Two settings, each a small and a ten times larger SQLite file recorded by the normal
    ``CaseDesk`` (an opening and notes per case):
      events  10,000 and 100,000 events in cases of 100 events (100 and 1,000 cases):
              the store grows in events;
      cases   1,000 and 10,000 cases of 10 events (10,000 and 100,000 events): the
              store grows in cases.
    ``--sizes`` (events) with ``--per-case`` gives one setting of your own; ``--stores``
    measures existing files instead (they must verify).

What is measured
    The peak of memory allocated by Python (``tracemalloc``) while
    ``scan_log`` verifies the whole store (what ``casehistory verify`` does), and while
    ``export_verified`` verifies and exports it to a file (what ``casehistory export
    --format jsonl`` does), measured from a desk already open, after one unmeasured run
    of each. The ratio between the larger and the smaller store says whether memory
    grows with the store: both read the log a case at a time from a streamed query and
    keep nothing of a case once it is checked (about 1.0: flat).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime

from _common import check, machine, peak

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.audit.export_jsonl import export_verified
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Verification

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


def measure(path: str, export_path: str) -> tuple[int, int, int, int]:
    """(verify peak, export peak, events, cases) for the store at ``path``."""
    desk = CaseDesk.open(path, clock=SteppingClock(NOW), read_only=True)

    def verify() -> Verification:
        verification = scan_log(desk)
        check(verification.ok, "the store verifies")
        return verification

    def export() -> None:  # what `casehistory export --format jsonl` does: verify and write
        with open(export_path, "w", encoding="utf-8") as out:
            verification, _ = export_verified(desk, None, out)
        check(verification.ok, "the export verifies")

    try:
        verified = verify()  # unmeasured: first reads, the mapper's caches
        export()
        return peak(verify), peak(export), verified.events, verified.cases
    finally:
        desk.close()


SETTINGS = {
    "events": ([10_000, 100_000], 100),
    "cases": ([10_000, 100_000], 10),
}
"""Each setting's sizes (events) and events per case."""


def run(paths: list[str], export_path: str) -> None:
    """Measure each store and print a row each, then the larger store's ratios."""
    print(f"\n{'events':>9}{'cases':>8}{'verify peak':>14}{'export peak':>14}")
    kib = 1024
    rows = []
    for path in paths:
        verified, exported, events, cases = measure(path, export_path)
        rows.append((verified, exported, events, cases))
        print(f"{events:>9,}{cases:>8,}{verified / kib:>11,.0f} KiB{exported / kib:>11,.0f} KiB")
    (v0, e0, n0, c0), (v1, e1, n1, c1) = rows[0], rows[-1]
    print(
        f"store x{n1 / n0:.1f} events, x{c1 / c0:.1f} cases: verify peak x{v1 / v0:.2f}, "
        f"export peak x{e1 / e0:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), help="one setting (default both)")
    parser.add_argument("--sizes", type=int, nargs="+", help="events in each store")
    parser.add_argument("--per-case", type=int, default=100, help="with --sizes (default 100)")
    parser.add_argument("--stores", nargs="+", help="measure these SQLite files instead")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        export_path = os.path.join(folder, "export.jsonl")
        if args.stores:
            run(args.stores, export_path)
            return
        if args.sizes:
            settings = {"given": (args.sizes, args.per_case)}
        else:
            chosen = [args.setting] if args.setting else list(SETTINGS)
            settings = {name: SETTINGS[name] for name in chosen}
        for name, (sizes, per_case) in settings.items():
            print(f"\nsetting {name}: cases of {per_case} events")
            paths = []
            for size in sizes:
                paths.append(os.path.join(folder, f"{name}-{size}.sqlite"))
                build(paths[-1], size, per_case)
            run(paths, export_path)


if __name__ == "__main__":
    sys.exit(main())
