"""How often ``@given(case_histories())`` finds three bugs a team writes in its own
projections, with Hypothesis's default settings: found from how many of 20 seeds, how
long each search and shrink took, how many commands the shrunk history has.

Run:  python benchmarks/planted_bugs.py                        (~10 min)
      python benchmarks/planted_bugs.py --seeds 5 --shrink 1     (quicker)

The projections and properties are those of ``tests/testing/test_planted_user_bugs.py``
(an outside user's code reading ``desk.history``): refund exposure per currency per
month that ignores refunds after a reopen; the same with the month in local time
instead of UTC; the time to first response measured from the first contact of either
direction. Each seed runs the property once, as ``pytest`` would: 100 examples, no
example database (each seed searches afresh), no deadline; first without shrinking
(found or not, and how long the search took), then, for the first ``--shrink`` seeds
that found it, again with every phase (how long to the shrunk history, and its
length, against the minimum, see ``MINIMUM``). The targets (issue 14): each found from
at least 19 of 20 seeds; shrunk to within one command of the minimum in at most 30 s.

Run against another checkout (the strategies before a change, say) with
``PYTHONPATH=/path/to/checkout python benchmarks/planted_bugs.py``: the projections come
from this tree, ``casehistory`` from the path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "testing"))

from _planted import hunt
from test_planted_user_bugs import PLANTED, search

import casehistory

MINIMUM = {
    # A refund after a reopen: a reopen needs a resolved (or closed) case, resolving
    # needs an open one, and only an agent's assignment opens a new case; a refund
    # needs a payment. assign_agent, resolve_case, reopen_case, record_payment,
    # issue_refund.
    "refunds after a reopen ignored": 5,
    # A refund whose month differs in UTC: a payment, and a case that takes a refund
    # (not a new one: an assignment). assign_agent, record_payment, issue_refund.
    "month in local time, not UTC": 3,
    # One inbound contact: the buggy projection answers its time, the right one None.
    "first response from a contact of either direction": 1,
}
"""The fewest commands a history can reveal each bug with (the lifecycle table's
shortest routes; the opening is not counted)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per bug (default 20)")
    parser.add_argument(
        "--shrink", type=int, default=3, help="seeds per bug also shrunk (default 3)"
    )
    args = parser.parse_args()
    print(f"casehistory from {Path(casehistory.__file__).parent}")
    print(
        f"| bug | seeds found of {args.seeds} | seconds to find (median, max) "
        f"| shrunk commands (median, max; {args.shrink} seeds) | minimum "
        "| shrunk minus minimum (each seed) | seconds with shrinking (median, max) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for bug, (make, _, planted) in PLANTED.items():
        found = hunt(search, make, planted, seeds=args.seeds, shrink=args.shrink)
        above = ", ".join(f"+{n - MINIMUM[bug]}" for n in found.shrunk) or "-"
        print(
            f"| {bug} | {found.found} | {found.times()} | {found.lengths()} | {MINIMUM[bug]} "
            f"| {above} | {found.slow()} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
