"""Commands per second: casehistory's CaseDesk against a bare eventsourcing baseline.

Run:  python benchmarks/commands.py            (1-1.5 minutes on 2 cores)
      python benchmarks/commands.py --runs 3 --n 500 --n-nosnap 200   (quick look)

What one command is, on both sides (one event per command, durable):
    load the aggregate (repository.get), call one command method (one event),
    save (one SQLite transaction, fsync'd: WAL with synchronous=FULL, the default).

casehistory side
    ``CaseDesk.open(<file>.sqlite)``; a case is opened and an agent assigned (not
    timed), then N commands are timed, cycling ``add_note`` / ``log_contact`` /
    ``record_payment``: each is the desk's own load-act-save (``_load`` with its plain
    projector loop, the aggregate's guards and ``evolve`` fold, ``save``).

baseline side
    A minimal ``eventsourcing.application.Application`` with a minimal ``Aggregate``
    (``Ticket``) whose three ``@event`` methods take a comparable payload (a few
    strings, a datetime, a Decimal) and keep a counter. Each command is
    ``app.repository.get(id, projector_func=plain_loop)`` + method + ``app.save``.
    The baseline gets the same plain projector loop as the desk (the library's default
    projector does a runtime Protocol ``isinstance`` check per replayed event and is
    several times slower), so the ratio shows casehistory's own overhead, not a
    projector choice. eventsourcing's SQLite connections cache one prepared statement,
    the desk's 128: ``--baseline-statements`` gives the baseline the desk's cache too,
    to show how much of the ratio that is.

Scenarios (both sides always configured alike)
    snapshots-50   one case of N commands, snapshots every 50 events on both sides
                   (the desk's normal mode; the baseline gets ``snapshotting_intervals
                   = {Ticket: 50}`` and the same projector). A load is the last snapshot
                   plus at most 49 events; every 50th save also writes a snapshot.
    ids-50         snapshots-50 with a ``command_id`` on every desk command (a new id
                   each time: the cost of recognising a repeat is the query for the
                   case's events that carry the id, paid by every command given one).
    no-snapshots   one case, snapshotting off on both sides: every load replays the
                   whole stream, so cost per command grows with the case (quadratic in
                   total) -- hence a smaller N. This shows casehistory's per-event
                   replay cost against the baseline's.

Fairness: each run uses fresh SQLite files in a temporary directory and runs both
sides interleaved: ``--chunk`` (50) commands on one side, then 50 on the other, the
side that goes first alternating, so a noisy spell of the (shared, 2-core) machine
hits both sides alike; a side's time is the sum of its chunks. One short untimed
warm-up run comes first. Figures are medians of ``--runs`` runs; the ratio is
casehistory time / baseline time, computed per run and then the median taken.
Timing is ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from _common import AGENT, OCCURRED_AT, check, machine, median, open_case, open_desk, spread
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import Environment

from casehistory import Channel, Demeanour, Direction, Money
from casehistory.desk import SNAPSHOT_INTERVAL

# -- baseline ------------------------------------------------------------------------


class Ticket(Aggregate):
    """The smallest aggregate with the same three commands and comparable payloads."""

    @event("Opened")
    def __init__(self, customer_id: str, subject: str, channel: str) -> None:
        self.subject = subject
        self.notes = 0
        self.contacts = 0
        self.paid = Decimal("0.00")

    @event("NoteAdded")
    def add_note(self, text: str, by_id: str, by_role: str, occurred_at: datetime) -> None:
        self.notes += 1

    @event("ContactLogged")
    def log_contact(
        self,
        channel: str,
        direction: str,
        summary: str,
        demeanour: str,
        by_id: str,
        by_role: str,
        occurred_at: datetime,
    ) -> None:
        self.contacts += 1

    @event("PaymentRecorded")
    def record_payment(
        self,
        amount: Decimal,
        currency: str,
        reference: str,
        by_id: str,
        by_role: str,
        occurred_at: datetime,
    ) -> None:
        self.paid += amount


def plain_projector(aggregate: Any, events: Iterable[Any]) -> Any:
    """The same plain loop the desk uses (casehistory.desk._base._project)."""
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class Baseline(Application[UUID]):
    name = "Baseline"
    snapshotting_projectors: ClassVar[dict[Any, Any]] = {Ticket: plain_projector}
    cache_statements: ClassVar[bool] = False
    """``--baseline-statements``: give the baseline's SQLite connections the desk's cache
    of 128 prepared statements (eventsourcing's own is one statement)."""

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)
        if Baseline.cache_statements and isinstance(datastore, SQLiteDatastore):
            # Imported here: the script also measures casehistory versions without it.
            from casehistory.desk._application import _StatementCachingPool

            datastore.pool.__class__ = _StatementCachingPool
        return factory


class SnapshottingBaseline(Baseline):
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Ticket: SNAPSHOT_INTERVAL}


class BaselineSide:
    """The baseline's commands on one Ticket in its own SQLite file."""

    def __init__(self, path: str, *, snapshots: bool) -> None:
        app_class = SnapshottingBaseline if snapshots else Baseline
        self.app = app_class(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        )
        ticket = Ticket(customer_id="c-1", subject="power supply failed", channel="PHONE")
        self.app.save(ticket)
        self.ticket_id = ticket.id
        self.snapshots = snapshots
        self.done = 0

    def step(self, count: int) -> float:
        """Seconds for the next ``count`` get-act-save commands."""
        app, ticket_id, get = self.app, self.ticket_id, self.app.repository.get
        amount = Decimal("12.50")
        started = time.perf_counter()
        for i in range(self.done, self.done + count):
            t: Ticket = get(ticket_id, projector_func=plain_projector)
            kind = i % 3
            if kind == 0:
                t.add_note(f"note {i}: customer called back", AGENT.id, "AGENT", OCCURRED_AT)
            elif kind == 1:
                t.log_contact(
                    "EMAIL", "OUTBOUND", f"sent label {i}", "CALM", AGENT.id, "AGENT", OCCURRED_AT
                )
            else:
                t.record_payment(amount, "USD", f"order-{i}", AGENT.id, "AGENT", OCCURRED_AT)
            app.save(t)
        elapsed = time.perf_counter() - started
        self.done += count
        return elapsed

    def finish(self) -> None:
        version = self.app.repository.get(self.ticket_id, projector_func=plain_projector).version
        check(version == self.done + 1, "all baseline events saved")
        if self.snapshots:
            snapshots = self.app.snapshots
            check(
                snapshots is not None and any(snapshots.get(self.ticket_id, limit=1)),
                "baseline took snapshots",
            )
        self.app.close()


# -- casehistory -----------------------------------------------------------------------


class CaseHistorySide:
    """The desk's commands on one case (opened, agent assigned) in its own SQLite file."""

    def __init__(self, path: str, *, snapshots: bool, ids: bool = False) -> None:
        self.desk = open_desk(path, snapshots=snapshots)
        self.case_id = open_case(self.desk)
        self.snapshots = snapshots
        self.ids = ids
        self.done = 0

    def step(self, count: int) -> float:
        """Seconds for the next ``count`` desk commands (load-act-save each)."""
        desk, case_id = self.desk, self.case_id
        amount = Money("12.50", "USD")
        started = time.perf_counter()
        for i in range(self.done, self.done + count):
            kind = i % 3
            ids: dict[str, Any] = {"command_id": f"cmd-{i}"} if self.ids else {}
            if kind == 0:
                desk.add_note(
                    case_id,
                    text=f"note {i}: customer called back",
                    by=AGENT,
                    occurred_at=OCCURRED_AT,
                    **ids,
                )
            elif kind == 1:
                desk.log_contact(
                    case_id,
                    channel=Channel.EMAIL,
                    direction=Direction.OUTBOUND,
                    summary=f"sent label {i}",
                    demeanour=Demeanour.CALM,
                    by=AGENT,
                    occurred_at=OCCURRED_AT,
                    **ids,
                )
            else:
                desk.record_payment(
                    case_id,
                    amount=amount,
                    reference=f"order-{i}",
                    by=AGENT,
                    occurred_at=OCCURRED_AT,
                    **ids,
                )
        elapsed = time.perf_counter() - started
        self.done += count
        return elapsed

    def finish(self) -> None:
        check(self.desk._load(self.case_id).version == self.done + 2, "all desk events saved")
        if self.snapshots:
            snapshots = self.desk._store.snapshots
            check(
                snapshots is not None and any(snapshots.get(self.case_id, limit=1)),
                "desk took snapshots",
            )
        self.desk.close()


Side = BaselineSide | CaseHistorySide


def run_alone(side: Side, n: int) -> float:
    """Seconds for ``n`` commands on one side, in one go (used by profile_commands.py)."""
    gc.collect()
    elapsed = side.step(n)
    side.finish()
    return elapsed


# -- driver --------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    n: int
    casehistory: list[float]
    baseline: list[float]

    @property
    def ratios(self) -> list[float]:
        return [c / b for c, b in zip(self.casehistory, self.baseline, strict=True)]


def one_run(
    folder: str, tag: str, n: int, chunk: int, *, snapshots: bool, ids: bool = False
) -> tuple[float, float]:
    """Both sides, interleaved chunk by chunk; returns (casehistory, baseline) seconds."""
    desk = CaseHistorySide(
        os.path.join(folder, f"{tag}-casehistory.sqlite"), snapshots=snapshots, ids=ids
    )
    base = BaselineSide(os.path.join(folder, f"{tag}-baseline.sqlite"), snapshots=snapshots)
    totals = {"casehistory": 0.0, "baseline": 0.0}
    sides: list[tuple[str, Side]] = [("casehistory", desk), ("baseline", base)]
    gc.collect()
    for number, start in enumerate(range(0, n, chunk)):
        for name, side in sides if number % 2 == 0 else sides[::-1]:
            totals[name] += side.step(min(chunk, n - start))
    desk.finish()
    base.finish()
    return totals["casehistory"], totals["baseline"]


def measure(
    scenario: str,
    n: int,
    runs: int,
    chunk: int,
    *,
    snapshots: bool,
    folder: str,
    ids: bool = False,
) -> Result:
    one_run(folder, f"warm-{scenario}", 60, 20, snapshots=snapshots, ids=ids)  # imports, caches
    times: dict[str, list[float]] = {"casehistory": [], "baseline": []}
    for run in range(runs):
        c, b = one_run(folder, f"{scenario}-{run}", n, chunk, snapshots=snapshots, ids=ids)
        times["casehistory"].append(c)
        times["baseline"].append(b)
        print(
            f"  {scenario} run {run + 1}/{runs}: casehistory {n / c:7.0f} cmd/s, "
            f"baseline {n / b:7.0f} cmd/s, ratio {c / b:.2f}",
            flush=True,
        )
    return Result(scenario, n, times["casehistory"], times["baseline"])


def report(results: list[Result]) -> None:
    print()
    print(f"{'scenario':<14} {'N':>5} {'casehistory':>22} {'baseline':>22} {'ratio (time)':>26}")
    print(f"{'':<14} {'':>5} {'cmd/s  ms/cmd':>22} {'cmd/s  ms/cmd':>22} {'median [min-max]':>26}")
    for r in results:
        c, b = median(r.casehistory), median(r.baseline)
        print(
            f"{r.scenario:<14} {r.n:>5} "
            f"{r.n / c:>14.0f} {1000 * c / r.n:>7.3f} "
            f"{r.n / b:>14.0f} {1000 * b / r.n:>7.3f} "
            f"{spread(r.ratios):>26}"
        )
    print()
    print("ratio = casehistory time / baseline time for the same N, per run; target <= 1.1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per side (default 5)")
    parser.add_argument("--n", type=int, default=2000, help="commands, snapshots-50 (2000)")
    parser.add_argument(
        "--n-nosnap", type=int, default=500, help="commands, no-snapshots scenario (500)"
    )
    parser.add_argument(
        "--chunk", type=int, default=50, help="commands per turn when interleaving (50)"
    )
    parser.add_argument(
        "--scenario",
        choices=["all", "snapshots-50", "ids-50", "no-snapshots"],
        default="all",
        help="which scenario to run (default all)",
    )
    parser.add_argument(
        "--baseline-statements",
        action="store_true",
        help="give the baseline the desk's cache of prepared statements (see Baseline)",
    )
    args = parser.parse_args(argv)
    Baseline.cache_statements = args.baseline_statements

    print(f"commands per second, SQLite file | {machine()}")
    if args.baseline_statements:
        print("baseline: SQLite connections with the desk's cache of 128 prepared statements")
    print(f"runs={args.runs}, one event per command, snapshot interval {SNAPSHOT_INTERVAL}")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="casehistory-bench-") as folder:
        if args.scenario in ("all", "snapshots-50"):
            results.append(
                measure(
                    "snapshots-50", args.n, args.runs, args.chunk, snapshots=True, folder=folder
                )
            )
        if args.scenario in ("all", "ids-50"):
            results.append(
                measure(
                    "ids-50", args.n, args.runs, args.chunk, snapshots=True, folder=folder, ids=True
                )
            )
        if args.scenario in ("all", "no-snapshots"):
            results.append(
                measure(
                    "no-snapshots",
                    args.n_nosnap,
                    args.runs,
                    args.chunk,
                    snapshots=False,
                    folder=folder,
                )
            )
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
