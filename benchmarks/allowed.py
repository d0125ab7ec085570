"""What ``desk.allowed`` costs, against one command on the same case, same run.

Run:  python benchmarks/allowed.py            (~20 s)
      python benchmarks/allowed.py --runs 3 --n 50   (quick look)

On a SQLite file (WAL, fsync'd), each of the six stories' cases is told, then for each
case and each of three actors (an agent, a supervisor, the customer) ``allowed`` is
timed N times; the baseline is N ``add_note`` commands on the same case (load, act,
save), interleaved with the calls of ``allowed`` in chunks. Medians of ``--runs`` runs
of the per-call time, and the ratio allowed / command per run (median taken).

The target (issue 12): one ``allowed`` at most the cost of 10 commands -- it tries
every command on copies of the case, loaded once, and saves nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import check, machine, spread

from casehistory import Actor, CaseDesk, Role, SteppingClock
from casehistory.stories import STORIES

_AT = datetime(2026, 11, 1, tzinfo=UTC)


def one_run(n: int, chunk: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        desk = CaseDesk.open(Path(folder) / "cases.sqlite", clock=SteppingClock(_AT))
        case_ids = [story.tell(desk) for story in STORIES]
        asked = 0.0
        commanded = 0.0
        offered = 0
        for case_id in case_ids:
            customer = desk.case(case_id).customer.id
            actors = (
                Actor("a.lee", Role.AGENT),
                Actor("s.kim", Role.SUPERVISOR),
                Actor(customer, Role.CUSTOMER),
            )
            if desk.case(case_id).status.name == "CLOSED":  # a note needs it open
                desk.reopen_case(case_id, reason="benchmark", by=actors[0], occurred_at=_AT)
            done = 0
            while done < n:
                step = min(chunk, n - done)
                start = time.perf_counter()
                for i in range(step):
                    offered += len(desk.allowed(case_id, by=actors[i % 3]))
                asked += time.perf_counter() - start
                start = time.perf_counter()
                for _ in range(step):
                    if desk.case(case_id).status.name == "CLOSED":
                        desk.reopen_case(case_id, reason="benchmark", by=actors[0], occurred_at=_AT)
                    else:
                        desk.add_note(case_id, text="benchmark", by=actors[0], occurred_at=_AT)
                commanded += time.perf_counter() - start
                done += step
        desk.close()
    calls = n * len(case_ids)
    return asked / calls, commanded / calls, offered


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n", type=int, default=150, help="calls per case and run")
    parser.add_argument("--chunk", type=int, default=10)
    args = parser.parse_args(argv)
    print(machine())
    one_run(5, 5)  # warm-up
    asks, commands, ratios = [], [], []
    for _ in range(args.runs):
        ask, command, offered = one_run(args.n, args.chunk)
        check(offered > 0, "allowed offered nothing")
        asks.append(ask * 1000)
        commands.append(command * 1000)
        ratios.append(ask / command)
    print(f"allowed   {spread(asks)} ms per call")
    print(f"command   {spread(commands)} ms per call (add_note: load, act, save)")
    print(f"ratio     {spread(ratios)} commands' time per allowed (target <= 10)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
