"""The catalog rebuilt case by case (casehistory.catalog._rebuild), on SQLite,
PostgreSQL and the in-process store: the same rows as applying the log in its order;
what a reader sees while it runs; a rebuild killed with SIGKILL mid-way, then rebuilt,
equals a whole rebuild; two rebuilds at once, a failure mid-way and a follower that
takes over leave the log folded exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from casehistory import CaseDesk, SteppingClock, StoreUnavailable
from casehistory.catalog import _decode, _rebuild, follow
from casehistory.stories import STORIES
from tests.integration.test_catalog import dump

WAIT = 60.0
"""The most seconds a test waits for a line it expects (a bound, not a sleep)."""


def tell(desk: CaseDesk, times: int) -> int:
    for _ in range(times):
        for story in STORIES:
            story.tell(desk)
    assert desk.last_position is not None
    return desk.last_position


def everything(desk: CaseDesk) -> dict[str, list[tuple[Any, ...]]]:
    """dump() and, on SQLite, the full-text rows and the claims."""
    tables = dump(desk)
    with desk.catalog._db.transaction(write=False) as run:
        if desk.catalog._db.sqlite:
            tables["search"] = sorted(
                run("SELECT case_id, subject, customer_name FROM catalog_search", ())
            )
    return tables


def by_batches(desk: CaseDesk) -> dict[str, list[tuple[Any, ...]]]:
    """The catalog as the projection's batches of the log build it."""
    projection = desk.catalog._projection
    projection.reset()
    projection.catch_up(batch=7)
    return everything(desk)


def by_case(desk: CaseDesk) -> dict[str, list[tuple[Any, ...]]]:
    assert desk.catalog.rebuild() == desk.catalog.status().head
    return everything(desk)


def test_a_rebuild_by_case_writes_what_the_batches_write(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rebuild, "CASES", 3)  # several transactions
    monkeypatch.setattr(_rebuild, "READ", 11)  # a case's events across reads
    desk = open_desk()
    head = tell(desk, 2)
    rebuilt = by_case(desk)
    assert rebuilt["position"] == [("catalog", head)]
    assert len(rebuilt["cases"]) == 10
    assert rebuilt == by_batches(desk)


def test_in_memory_too(clock: SteppingClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_rebuild, "CASES", 2)
    desk = CaseDesk.open(":memory:", clock=clock)
    head = tell(desk, 1)
    rebuilt = by_case(desk)
    assert rebuilt["position"] == [("catalog", head)]
    assert rebuilt == by_batches(desk)


def test_a_failure_mid_way_leaves_the_catalog_at_0_then_a_rebuild_equals(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rebuild, "CASES", 2)
    desk = open_desk()
    head = tell(desk, 2)
    whole = by_case(desk)
    crashed_rebuild(desk, monkeypatch, at=3)
    left = everything(desk)
    # A reader sees a catalog that holds no event: behind by the whole log.
    assert desk.catalog.status().position == 0
    assert desk.catalog.status().behind == head
    assert len(left["cases"]) == 4  # two transactions of two cases committed
    claims = [name for name, _ in left["position"] if name != "catalog"]
    assert len(claims) == 1
    assert claims[0].startswith(_rebuild.CLAIM)
    # The claim is fresh: a catch-up waits for that rebuild instead of mixing rows in.
    assert desk.catalog._projection.catch_up() == 0
    assert everything(desk) == left
    assert by_case(desk) == whole


def test_a_stale_claim_is_taken_over_by_a_catch_up(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rebuild, "CASES", 2)
    desk = open_desk()
    tell(desk, 1)
    whole = by_case(desk)
    monkeypatch.setattr(_rebuild._Rebuild, "write", _failing)
    with pytest.raises(StoreUnavailable):
        desk.catalog.rebuild()
    monkeypatch.undo()
    monkeypatch.setattr(_rebuild, "STALE_MS", 0)  # as if it stopped long ago
    assert desk.catalog._projection.catch_up() == desk.catalog.status().head
    assert everything(desk) == whole


def test_a_follower_at_0_leaves_a_rebuild_under_way_to_finish(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A follower that took the rebuild over made it go on in the log's order, slower;
    # it waits for a live claim now (and takes over a stale one: test_review_rebuild).
    monkeypatch.setattr(_rebuild, "CASES", 2)
    desk = open_desk()
    head = tell(desk, 2)
    whole = by_case(desk)
    original = _rebuild._Rebuild.write
    calls = 0

    def follower_between(self: Any, batch: Any, *, last: bool) -> None:
        nonlocal calls
        calls += 1
        original(self, batch, last=last)
        if calls == 2:  # a follower's round comes between two of the rebuild's writes
            progress = follow(open_desk(), threading.Event(), batch=5, once=True)
            assert progress.applied == 0

    monkeypatch.setattr(_rebuild._Rebuild, "write", follower_between)
    assert desk.catalog.rebuild() == head
    assert everything(desk) == whole


def test_two_rebuilds_at_once_fold_every_event_once(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rebuild, "CASES", 1)
    desk = open_desk()
    tell(desk, 2)
    whole = by_case(desk)
    desks = [open_desk() for _ in range(3)]
    errors: list[BaseException] = []

    def rebuild(other: CaseDesk) -> None:
        try:
            other.catalog.rebuild()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=rebuild, args=(d,)) for d in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert desk.catalog.status().behind == 0
    assert everything(desk) == whole


def _failing(self: Any, batch: Any, *, last: bool) -> None:
    raise StoreUnavailable("the disk went away")


def crashed_rebuild(desk: CaseDesk, monkeypatch: pytest.MonkeyPatch, *, at: int = 2) -> None:
    """A rebuild whose ``at``-th transaction failed after the ones before committed: its
    claim is live, as another process's rebuild under way (or just killed) leaves it."""
    original = _rebuild._Rebuild.write
    calls = 0

    def fail_mid_way(self: Any, batch: Any, *, last: bool) -> None:
        nonlocal calls
        calls += 1
        if calls == at:
            raise StoreUnavailable("the disk went away mid-rebuild")
        original(self, batch, last=last)

    monkeypatch.setattr(_rebuild._Rebuild, "write", fail_mid_way)
    with pytest.raises(StoreUnavailable, match="mid-rebuild"):
        desk.catalog.rebuild()
    monkeypatch.setattr(_rebuild._Rebuild, "write", original)


_CHILD = """
import sys
from casehistory import CaseDesk
from casehistory.catalog import _rebuild

_rebuild.CASES = 1
original = _rebuild._Rebuild.write


written = 0


def write(self, batch, *, last):
    global written
    original(self, batch, last=last)
    written += 1
    print("written", flush=True)
    if written == 3:
        sys.stdin.readline()  # the fourth waits here until the test kills the process


_rebuild._Rebuild.write = write
desk = CaseDesk.open(sys.argv[1])
print("events", desk.catalog.rebuild(), flush=True)
"""


def kill_mid_rebuild(store: str) -> None:
    """A rebuild in another process, killed with SIGKILL after three cases committed."""
    env = {k: v for k, v in os.environ.items() if k != "CASEHISTORY_DB"}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, store],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        for _ in range(3):  # three cases committed, then it waits
            assert child.stdout.readline() == "written\n"
        child.send_signal(signal.SIGKILL)
        child.wait(WAIT)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL


def test_a_rebuild_killed_mid_way_then_rebuilt_equals_a_whole_rebuild(
    store: str, open_desk: Callable[[], CaseDesk]
) -> None:
    desk = open_desk()
    head = tell(desk, 4)
    whole = by_case(desk)
    kill_mid_rebuild(store)

    killed = everything(desk)
    assert len(killed["cases"]) == 3
    assert ("catalog", 0) in killed["position"]
    status = desk.catalog.status()
    assert (status.position, status.behind) == (0, head)
    assert by_case(desk) == whole


def test_its_decoder_makes_the_mappers_events_and_refuses_what_the_mapper_refuses(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    head = tell(desk, 1)
    mapper = desk._mapper
    decode = _decode.decoder(mapper)
    rows = desk._recorder.select_notifications(start=0, limit=head, inclusive_of_start=False)
    assert len(rows) == head
    for row in rows:
        mine = decode(row.originator_id, row.originator_version, row.topic, row.state)
        theirs = mapper.to_domain_event(row)
        assert type(mine) is type(theirs)
        assert vars(mine) == vars(theirs)
        assert mine == theirs
    row = rows[0]
    state = json.loads(row.state)
    del state["subject"]  # a field its type declares
    with pytest.raises(StoreUnavailable, match="it has no subject") as refused:
        decode(row.originator_id, 1, row.topic, json.dumps(state).encode())
    with pytest.raises(StoreUnavailable) as mapped:
        mapper.to_domain_event(
            StoredEvent(row.originator_id, 1, row.topic, json.dumps(state).encode())
        )
    assert str(refused.value) == str(mapped.value)
    state = json.loads(row.state)
    state["occurred_at"]["_data_"] = "2026-03-02T09:00:00"  # no offset
    with pytest.raises(StoreUnavailable, match="not a time with an offset"):
        decode(row.originator_id, 1, row.topic, json.dumps(state).encode())
    with pytest.raises(StoreUnavailable, match="no case event"):
        decode(row.originator_id, 1, "os:system", row.state)
    with pytest.raises(StoreUnavailable, match="cannot be read"):
        decode(row.originator_id, 1, row.topic, b"{not json")
