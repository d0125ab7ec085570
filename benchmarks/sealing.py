"""What sealing personal texts costs: commands.py's desk workload with sealing on (every
desk) against the same build with it off, in the same run.

Run:  python benchmarks/sealing.py                  (~1 minute)
      python benchmarks/sealing.py --runs 3 --n 600 (quick look)

Sides, each on its own SQLite file in one temporary directory (WAL, synchronous=FULL):

    sealed     ``CaseDesk``: a case opened and an agent assigned (untimed), then N
               commands cycling ``add_note`` / ``log_contact`` / ``record_payment``
               as in commands.py, snapshots every 50 events. Two commands in three
               carry a personal text: each reads the customer's key (one indexed
               SELECT on casedesk_keys) and seals the text (AES-256-GCM, a fresh nonce).
    unsealed   the same desk with ``_sealing = False``, a switch that exists for this
               benchmark only: texts recorded in plaintext, no key read.

The sides run interleaved, ``--chunk`` commands at a time, the first side alternating,
as in commands.py. The figure is sealed time / unsealed time per run, then the median
(issue 13's target: at most 1.10).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from typing import ClassVar

from _common import check, machine, median, new_clock, open_case, spread
from commands import CaseHistorySide

from casehistory import CaseDesk
from casehistory.domain.sealed import Sealed


class UnsealedDesk(CaseDesk):
    """The desk with sealing switched off: the baseline of this benchmark only."""

    _sealing: ClassVar[bool] = False


class Side(CaseHistorySide):
    def __init__(self, path: str, desk_class: type[CaseDesk]) -> None:
        self.desk = desk_class.open(path, clock=new_clock())
        self.case_id = open_case(self.desk)
        self.snapshots = True
        self.ids = False
        self.done = 0


def one_run(n: int, chunk: int, first: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        sealed = Side(os.path.join(folder, "sealed.sqlite"), CaseDesk)
        plain = Side(os.path.join(folder, "plain.sqlite"), UnsealedDesk)
        times = {"sealed": 0.0, "plain": 0.0}
        sides = [("sealed", sealed), ("plain", plain)]
        if first:
            sides.reverse()
        gc.collect()
        for _ in range(0, n, chunk):
            for name, side in sides:
                times[name] += side.step(chunk)
            sides.reverse()
        last = sealed.desk.history(sealed.case_id)[-3]
        check(isinstance(last.text, Sealed), "the sealed side seals")
        check(type(plain.desk.history(plain.case_id)[-3].text) is str, "the plain side does not")
        sealed.desk.close()
        plain.desk.close()
    return times["sealed"], times["plain"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--chunk", type=int, default=50)
    args = parser.parse_args(argv)
    print(machine())
    one_run(150, args.chunk, 0)  # warm-up, untimed
    sealed_ms, plain_ms, ratios = [], [], []
    for run in range(args.runs):
        sealed, plain = one_run(args.n, args.chunk, run % 2)
        sealed_ms.append(sealed / args.n * 1000)
        plain_ms.append(plain / args.n * 1000)
        ratios.append(sealed / plain)
        print(f"run {run + 1}: sealed {sealed_ms[-1]:.3f} ms, unsealed {plain_ms[-1]:.3f} ms")
    print(
        f"\n{args.n:,} commands x {args.runs} runs | ms per command: sealed "
        f"{median(sealed_ms):.3f}, unsealed {median(plain_ms):.3f} | "
        f"ratio sealed/unsealed {spread(ratios)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
