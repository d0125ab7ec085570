"""Helpers shared by the benchmark scripts (not a benchmark itself).

The scripts put this folder on ``sys.path`` by being run as ``python benchmarks/x.py``.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any, ClassVar
from uuid import UUID

import casehistory
from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Role,
    SteppingClock,
)

AGENT = Actor("a.lee", Role.AGENT)
OCCURRED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Business time of every benchmark event (always before the desk clock's time)."""


def new_clock() -> SteppingClock:
    return SteppingClock(datetime(2026, 6, 1, tzinfo=UTC))


class NoSnapshotDesk(CaseDesk):
    """A CaseDesk with snapshotting switched off: no snapshot store, no intervals, so
    every load replays the whole stream (with the desk's own plain projector loop)."""

    snapshotting_intervals: ClassVar[dict[Any, int]] = {}


def check(condition: bool, message: str) -> None:
    """A sanity check that also runs under ``python -O``."""
    if not condition:
        raise RuntimeError(f"benchmark setup is wrong: {message}")


def open_desk(path: str, *, snapshots: bool) -> CaseDesk:
    desk_class = CaseDesk if snapshots else NoSnapshotDesk
    desk = desk_class.open(path, clock=new_clock())
    check((desk._store.snapshots is not None) is snapshots, "snapshot store on/off as asked")
    return desk


def open_case(desk: CaseDesk) -> UUID:
    """Open a case and assign an agent: the two events every case starts with."""
    case_id = desk.open_case(
        customer=Customer("c-1", "Dana Smith"),
        subject="power supply failed",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=OCCURRED_AT,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=OCCURRED_AT)
    return case_id


def peak(work: Callable[[], object]) -> int:
    """The peak of Python allocations (bytes, ``tracemalloc``) while ``work`` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """``median [min-max]`` of several runs, for the printed tables."""
    return f"{median(values):.3f} [{min(values):.3f}-{max(values):.3f}]"


def machine() -> str:
    """One line saying where and when the figures were measured."""
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC | Python {platform.python_version()} | "
        f"eventsourcing {version('eventsourcing')} | SQLite {sqlite3.sqlite_version} | "
        f"{os.cpu_count()} CPUs | {platform.platform()}\n"
        f"casehistory from {os.path.dirname(casehistory.__file__)}"
    )
