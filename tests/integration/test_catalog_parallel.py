"""A large rebuild folds ranges of cases in a second process
(casehistory.catalog._parallel): the same tables as one process, on SQLite and
PostgreSQL; the worker's failure raised as one process raises it; a worker that dies
leaves its ranges to the rebuild; the caller's script is never run again by the
worker, and the store's settings never reach its command line."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from casehistory import CaseDesk, StoreUnavailable
from casehistory.catalog import _parallel
from tests.integration.test_catalog_rebuild import WAIT, by_case, everything, tell


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Every rebuild folds in two processes, in 8 ranges; counts what the worker did."""
    monkeypatch.setattr(_parallel, "PARALLEL_EVENTS", 0)
    monkeypatch.setattr(_parallel, "RANGES", 8)
    counted = {"worker": 0}
    receive = _parallel._Worker.receive

    def counting(self: Any) -> Any:
        answer = receive(self)
        if isinstance(answer, _parallel.Batch):
            counted["worker"] += 1
        return answer

    monkeypatch.setattr(_parallel._Worker, "receive", counting)
    # The rebuild waits for each answer rather than fold a range itself meanwhile: what
    # the worker does then depends not on how fast this machine starts a process.
    monkeypatch.setattr(
        _parallel._Worker,
        "answered",
        lambda self: bool(select.select([self.output], [], [], WAIT)[0]),
    )
    return counted


def one_process(desk: CaseDesk, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(_parallel, "PARALLEL_EVENTS", 10**12)
        return by_case(desk)


def test_two_processes_write_what_one_writes(
    open_desk: Callable[[], CaseDesk], parallel: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_desk()
    tell(desk, 4)
    alone = one_process(desk, monkeypatch)
    assert parallel["worker"] == 0
    together = by_case(desk)
    assert parallel["worker"] > 0, "the worker folded no range"
    assert together == alone
    assert len(together["cases"]) == 20


def test_the_worker_is_a_new_interpreter_given_nothing_on_its_command_line(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    worker = _parallel._Worker(desk, 1)
    try:
        assert worker.process.args == [sys.executable, "-m", "casehistory.catalog._worker"]
        assert worker.receive() == "ready"
    finally:
        worker.close()


def test_a_row_the_worker_cannot_read_is_raised_as_one_process_raises_it(
    sqlite_path: Path, parallel: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    desk = CaseDesk.open(sqlite_path)
    tell(desk, 2)
    desk.close()
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute(
            "UPDATE stored_events SET state = X'7b6e6f74' WHERE rowid = "
            "(SELECT max(rowid) FROM stored_events)"
        )
    desk = CaseDesk.open(sqlite_path)
    try:
        with pytest.raises(StoreUnavailable) as together:
            desk.catalog.rebuild()
        with monkeypatch.context() as patch:
            patch.setattr(_parallel, "PARALLEL_EVENTS", 10**12)
            with pytest.raises(StoreUnavailable) as alone:
                desk.catalog.rebuild()
    finally:
        desk.close()
    assert str(together.value) == str(alone.value)
    assert "cannot be read" in str(alone.value)


def test_a_worker_that_dies_leaves_its_ranges_to_the_rebuild(
    open_desk: Callable[[], CaseDesk], parallel: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_desk()
    tell(desk, 4)
    alone = one_process(desk, monkeypatch)
    give = _parallel._Worker.give

    def give_then_die(self: Any, waiting: list[Any]) -> None:
        give(self, waiting)
        if self.spans:
            self.process.kill()  # killed with ranges in hand

    monkeypatch.setattr(_parallel._Worker, "give", give_then_die)
    assert by_case(desk) == alone


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    # multiprocessing's spawn would import the caller's script again in its child: a
    # script that records at import time would record twice.
    script = tmp_path / "report.py"
    runs = tmp_path / "runs.txt"
    script.write_text(
        textwrap.dedent(
            f"""
            from casehistory import CaseDesk
            from casehistory.catalog import _parallel
            from casehistory.stories import STORIES

            _parallel.PARALLEL_EVENTS = 0
            with open({str(runs)!r}, "a") as runs:
                runs.write("ran\\n")
            desk = CaseDesk.open({str(tmp_path / "store.sqlite")!r})
            STORIES[0].tell(desk)
            print(desk.catalog.rebuild())
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "CASEHISTORY_DB"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert runs.read_text() == "ran\n"
    assert int(done.stdout.split()[-1]) > 0


def test_the_in_process_store_is_rebuilt_in_one_process(parallel: dict[str, int]) -> None:
    desk = CaseDesk.open(":memory:")
    head = tell(desk, 1)
    assert desk.catalog.rebuild() == head
    assert parallel["worker"] == 0
    assert len(everything(desk)["cases"]) == 5


def test_the_worker_ignores_ctrl_c_and_ends_quietly_when_the_rebuild_goes(
    sqlite_path: Path,
) -> None:
    import pickle
    import signal

    desk = CaseDesk.open(sqlite_path)
    tell(desk, 1)
    worker = subprocess.Popen(
        [sys.executable, "-m", "casehistory.catalog._worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert worker.stdin is not None
    assert worker.stdout is not None
    try:
        _parallel._send(
            worker.stdin, (dict(desk._store.env), _parallel._dumps(desk.policies), 10**9)
        )
        assert pickle.load(worker.stdout) == "ready"
        worker.send_signal(signal.SIGINT)  # as a terminal's Ctrl-C reaches the group
        _parallel._send(worker.stdin, (None, None))
        batch = pickle.load(worker.stdout)
        assert len(batch.cases) == 5
        worker.stdin.close()  # the rebuild is done
        worker.wait(WAIT)
        assert worker.stderr is not None
        said = worker.stderr.read()
    finally:
        worker.kill()
        desk.close()
    assert worker.returncode == 0
    assert said == b""


def test_a_short_log_is_rebuilt_without_a_worker(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_desk()
    head = tell(desk, 1)
    assert head < _parallel.PARALLEL_EVENTS

    def no_worker(*args: Any) -> None:
        raise AssertionError("a worker was started for a short log")

    monkeypatch.setattr(_parallel._Worker, "__init__", no_worker)
    assert desk.catalog.rebuild() == head
