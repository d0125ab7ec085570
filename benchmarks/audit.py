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
                             merely reading and decoding the rows with eventsourcing.
    verify (scan_log)        every chain and snapshot checked in one pass over the log
                             (what ``casehistory verify`` does).
    verify --rules           ``verify_rules``: every event replayed through its command.
    checkpoint               ``make_checkpoint``: the verifying pass, feeding both trees.
    verify + 2 checkpoints   ``check_store`` with two checkpoints: the pass, the roots, a
                             consistency proof, store times against each checkpoint.
    verify named cases       ``verify_cases`` over every case, one at a time.
    export jsonl             ``export_verified`` of the whole store to a file: what
                             ``casehistory export --format jsonl`` does (verify and write).
    export proven bundle     ``prove_export`` + ``write_bundle`` against a checkpoint.
    verify bundle            the proven bundle verified offline (no store).
Figures are events per second, and the speed relative to the baseline measured in the
same run (1.00: as fast as merely reading the rows; 0.50: half as fast).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from _common import check, machine, median

from casehistory import CaseDesk, SteppingClock
from casehistory.audit.bundle import prove_export, write_bundle
from casehistory.audit.bundle_check import verify_bundle
from casehistory.audit.export_jsonl import export_verified
from casehistory.audit.note import SignerKey
from casehistory.audit.rules import verify_rules
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
        # Checkpoints are dated after every event they pin: a clock a day on.
        desk = CaseDesk.open(path, clock=SteppingClock(NOW + timedelta(days=1)))
        case_ids = list(desk.case_ids())
        signer = SignerKey.generate("bench.example/cases")
        pinned, _ = make_checkpoint(desk, key=signer)
        check(pinned is not None, "the store verifies")
        assert pinned is not None
        print(f"{len(case_ids)} cases, {events} events in {path}")
        plain = os.path.join(folder, "plain.jsonl")

        def export() -> None:
            with open(plain, "w", encoding="utf-8") as out:
                verification, _ = export_verified(desk, None, out)
            check(verification.ok, "the export verifies")

        def export_proven() -> None:
            proofs = prove_export(desk, pinned.text(), None)
            with open(bundle, "w", encoding="utf-8") as out:
                write_bundle(desk, proofs, out)

        def bundle_check() -> None:
            with open(bundle, "rb") as lines:
                outcome = verify_bundle(lines, trusted_key=signer.verifier())
            check(outcome.ok, "the bundle verifies")

        export_proven()
        timed: dict[str, Callable[[], object]] = {
            "baseline: read the log": lambda: read_log(desk),
            "verify (scan_log)": lambda: check(scan_log(desk).ok, "verifies"),
            "verify --rules": lambda: check(verify_rules(desk).ok, "lawful"),
            "checkpoint": lambda: make_checkpoint(desk),
            "verify + 2 checkpoints": lambda: check(
                check_store(desk, [pinned, pinned]).ok, "extends"
            ),
            "verify named cases": lambda: check(verify_cases(desk, case_ids).ok, "verifies"),
            "export jsonl": export,
            "export proven bundle": export_proven,
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
    print(f"\n{'pass':<26}{'seconds':>10}{'events/s':>12}{'speed vs baseline':>19}")
    for name, runs in seconds.items():
        taken = median(runs)
        print(f"{name:<26}{taken:>10.3f}{events / taken:>12,.0f}{base / taken:>19.2f}")


if __name__ == "__main__":
    sys.exit(main())
