"""Many desks opening one store at once: 8 processes, started together by a barrier,
20 rounds, not one failure, on SQLite and PostgreSQL; and 8 processes making a new
store at once (setup runs once: docs/operations.md, setting up a store), and forty new
stores in a row on SQLite. A new store opened while another process holds its lock:
tests/integration/test_review_wal_open.py."""

from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from casehistory import CaseDesk
from casehistory.stories import STORIES

PROCESSES = 8
ROUNDS = 20
DEADLINE = 60.0
"""Seconds the whole test may take before it is a failure (it takes a few)."""


def _opener(store: str, rounds: int, barrier: Barrier, results: Any) -> None:
    failures: list[str] = []
    for _ in range(rounds):
        barrier.wait(timeout=DEADLINE)
        try:
            with CaseDesk.open(store) as desk:
                list(desk.case_ids())  # opened, and usable
        except BaseException:  # every kind counts, not only ours
            failures.append(traceback.format_exc(limit=-3))
    results.put(failures)


def _open_together(store: str, rounds: int) -> list[str]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_opener, args=(store, rounds, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    failures: list[str] = []
    try:
        for _ in workers:
            failures += results.get(timeout=DEADLINE)
    finally:
        for worker in workers:
            worker.join(timeout=DEADLINE)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers)
    return failures


def test_eight_processes_open_an_existing_store_twenty_times_without_a_failure(
    store: str,
) -> None:
    with CaseDesk.open(store) as desk:
        case_id = STORIES[0].tell(desk)

    failures = _open_together(store, ROUNDS)

    assert failures == [], f"{len(failures)} failed opens, the first:\n{failures[0]}"
    with CaseDesk.open(store) as desk:
        assert list(desk.case_ids()) == [case_id]


def test_eight_processes_make_a_new_store_at_once(store: str) -> None:
    failures = _open_together(store, 1)

    assert failures == [], f"{len(failures)} failed opens, the first:\n{failures[0]}"
    with CaseDesk.open(store) as desk:
        case_id = STORIES[0].tell(desk)
    with CaseDesk.open(store, read_only=True) as reader:
        assert list(reader.case_ids()) == [case_id]


def test_eight_processes_make_forty_new_sqlite_stores_without_a_failure(tmp_path: Path) -> None:
    """The switch of a new file to WAL met another process's write lock and failed at
    once ("database is locked"), about one open in a hundred here, though the lock
    timeout had 30 seconds left."""
    failures: list[str] = []
    for n in range(40):
        failures += _open_together(str(tmp_path / f"store-{n}.sqlite"), 1)

    assert failures == [], f"{len(failures)} failed opens, the first:\n{failures[0]}"


@pytest.mark.postgres
def test_an_open_of_a_store_that_exists_issues_no_ddl(postgres_url: str) -> None:
    """The store's tables and function keep their identity (no CREATE OR REPLACE) when
    a desk opens a store that has them."""
    import psycopg

    from tests.integration.conftest import Database

    CaseDesk.open(postgres_url).close()
    database = Database(postgres_url)
    query = (
        "SELECT p.oid, p.xmin::text FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = %s"
    )
    schema = database.events.split(".")[0].strip('"')
    before = database.conn.execute(query, (schema,)).fetchall()

    CaseDesk.open(postgres_url).close()

    assert database.conn.execute(query, (schema,)).fetchall() == before
    assert isinstance(database.conn, psycopg.Connection)
    database.conn.close()
