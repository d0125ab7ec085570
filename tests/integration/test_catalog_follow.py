"""The catalog's follower, on SQLite and PostgreSQL: ``follow --once`` applies everything;
a follower process killed with SIGKILL mid-way and started again leaves what a rebuild
leaves; SIGINT and SIGTERM stop it cleanly; two followers at once apply every event
exactly once; on PostgreSQL a follower keeps up while writers write, and a writer reads
its writes. A login that may not write is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from uuid import UUID, uuid4

import pytest
from click.testing import CliRunner

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    InvalidInput,
    Role,
    StoreIsReadOnly,
)
from casehistory.catalog import Progress, follow
from casehistory.cli import main
from casehistory.stories import STORIES
from tests.integration.test_catalog import dump

AGENT = Actor("a.lee", Role.AGENT)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT = 60.0
"""The most seconds a test waits for an event it expects (a bound, not a sleep)."""


def tell(desk: CaseDesk, times: int = 1) -> int:
    """The five stories, ``times`` over; returns the log's head after them."""
    for _ in range(times):
        for story in STORIES:
            story.tell(desk)
    assert desk.last_position is not None
    return desk.last_position


def rebuilt(desk: CaseDesk) -> dict[str, list[tuple[Any, ...]]]:
    desk.catalog.rebuild()
    return dump(desk)


class _Follower(threading.Thread):
    """``follow`` in a thread until finished; every batch it writes notifies ``batches``
    (shared by the followers of a test), which :func:`reached` waits on."""

    def __init__(self, desk: CaseDesk, batches: threading.Condition, **options: Any) -> None:
        super().__init__(daemon=True)
        self.desk = desk
        self.stop = threading.Event()
        self.batches = batches
        self.options = options
        self.progress: Progress | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.progress = follow(self.desk, self.stop, on_batch=self._on_batch, **self.options)
        except BaseException as error:
            self.error = error
        finally:
            with self.batches:
                self.batches.notify_all()

    def _on_batch(self, progress: Progress) -> None:
        with self.batches:
            self.batches.notify_all()

    def finish(self) -> Progress:
        self.stop.set()
        self.join(WAIT)
        assert not self.is_alive()
        assert self.error is None, self.error
        assert self.progress is not None
        return self.progress


def reached(desk: CaseDesk, position: int, batches: threading.Condition) -> bool:
    """Wait until the catalog is at ``position``, once nothing but the followers writes
    it: each of their batches (the only thing that moves it) wakes the wait."""
    with batches:
        return batches.wait_for(lambda: desk.catalog.status().position >= position, WAIT)


# follow() in the library ----------------------------------------------------------


def test_follow_once_applies_everything_there_is(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    head = tell(desk)

    progress = follow(desk, threading.Event(), once=True, batch=9)

    assert (progress.applied, progress.position, progress.moved) == (head, head, 0)
    assert progress.batches == -(-head // 9)
    assert desk.catalog.status().behind == 0
    followed = dump(desk)
    assert followed == rebuilt(desk)
    assert follow(desk, threading.Event(), once=True).applied == 0


def test_a_stop_set_before_it_starts_applies_nothing(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    tell(desk)
    stop = threading.Event()
    stop.set()

    progress = follow(desk, stop)

    assert progress.applied == 0
    assert desk.catalog.status().position == 0


def test_a_read_only_desk_cannot_follow(store: str, open_desk: Callable[[], CaseDesk]) -> None:
    tell(open_desk())
    reader = CaseDesk.open(store, read_only=True)
    try:
        with pytest.raises(StoreIsReadOnly, match="cannot follow the log"):
            follow(reader, threading.Event(), once=True)
        assert reader.catalog.status().exists is False
    finally:
        reader.close()


@pytest.mark.parametrize(
    "options",
    [{"batch": 0}, {"batch": 10_001}, {"batch": True}, {"batch": 2.5}, {"poll": 0}, {"poll": -1}],
    ids=repr,
)
def test_bad_options_are_refused(open_desk: Callable[[], CaseDesk], options: Any) -> None:
    with pytest.raises(InvalidInput):
        follow(open_desk(), threading.Event(), **options)


def test_two_followers_at_once_apply_every_event_exactly_once(
    open_desk: Callable[[], CaseDesk],
) -> None:
    writer = open_desk()
    tell(writer)
    batches = threading.Condition()
    followers = [_Follower(open_desk(), batches, batch=size, poll=0.01) for size in (3, 5)]
    for follower in followers:
        follower.start()
    head = tell(writer, 2)  # written while both follow

    assert reached(writer, head, batches)
    done = [follower.finish() for follower in followers]

    # Each event was applied by one follower: the other's compare failed.
    assert sum(progress.applied for progress in done) == head
    assert dump(writer) == rebuilt(writer)


# The command line's follower, as a process --------------------------------------


def _process(store: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "CASEHISTORY_DB"}
    return subprocess.Popen(
        [sys.executable, "-m", "casehistory", "catalog", "follow", *args, "--db", store],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _line(stream: IO[str] | None) -> str:
    assert stream is not None
    return stream.readline()


def test_a_follower_killed_mid_way_loses_nothing_and_repeats_nothing(
    store: str, open_desk: Callable[[], CaseDesk]
) -> None:
    desk = open_desk()
    head = tell(desk, 4)
    follower = _process(store, "--batch", "7", "-v")
    try:
        assert _line(follower.stdout).startswith("following the log of ")
        for _ in range(3):  # three batches committed, the fourth under way
            line = _line(follower.stdout)
            assert line.startswith("batch ")
        third = int(line.split()[-1])
        follower.send_signal(signal.SIGKILL)
        follower.wait(WAIT)
    finally:
        follower.kill()
        follower.communicate()
    assert follower.returncode == -signal.SIGKILL

    killed = dump(desk)
    [(_, position)] = killed["position"]
    assert third <= position < head  # the kill came before the end
    # What it left is exactly the log folded up to its position: no half batch.
    desk.catalog._projection.reset()
    desk.catalog._projection.catch_up(until=position)
    assert dump(desk) == killed

    again = _process(store, "--once")
    out, err = again.communicate(timeout=WAIT)
    assert (again.returncode, err) == (0, "")
    assert out.startswith(f"applied {head - position} events in ")
    assert dump(desk) == rebuilt(desk)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_it_between_batches_with_exit_0(
    store: str, open_desk: Callable[[], CaseDesk], sig: signal.Signals
) -> None:
    desk = open_desk()
    head = tell(desk)
    follower = _process(store, "--poll", "0.05", "-v")
    try:
        assert _line(follower.stdout).startswith("following the log of ")
        assert _line(follower.stdout).startswith("batch 1: ")
        follower.send_signal(sig)
        out, err = follower.communicate(timeout=WAIT)
    finally:
        follower.kill()
    assert (follower.returncode, err) == (0, "")
    last = out.splitlines()[-1]
    assert last.startswith("stopped at position ")
    assert " events applied in " in last
    position = int(last.split()[3].rstrip(":"))
    assert 0 < position <= head
    assert desk.catalog.status().position == position  # what it said is what it committed
    stopped = dump(desk)
    desk.catalog._projection.reset()
    desk.catalog._projection.catch_up(until=position)
    assert dump(desk) == stopped


# PostgreSQL ------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_follower_keeps_up_while_writers_write(postgres_url: str) -> None:
    batches = threading.Condition()
    follower = _Follower(CaseDesk.open(postgres_url), batches, batch=50, poll=0.05)
    follower.start()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        desk = CaseDesk.open(postgres_url)
        try:
            case_id = UUID(int=0)
            for k in range(12):
                if k % 4 == 0:
                    case_id = desk.open_case(
                        customer=Customer(f"C-{n}", f"Writer {n}"),
                        subject=f"writer {n} case {k}",
                        channel=Channel.PHONE,
                        by=AGENT,
                        occurred_at=T0 + timedelta(minutes=k),
                    )
                else:
                    desk.add_note(
                        case_id, text=f"note {k}", by=AGENT, occurred_at=T0 + timedelta(minutes=k)
                    )
            # Read your writes: the catalog holds this writer's last event.
            status = desk.catalog.wait()
            assert desk.last_position is not None
            assert status.position >= desk.last_position
            row = desk.catalog.case(case_id)
            assert row is not None
            assert row.version == desk.case(case_id).version
        except BaseException as error:
            errors.append(error)
        finally:
            desk.close()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(WAIT)
    assert not errors, errors
    reader = CaseDesk.open(postgres_url)
    try:
        head = reader.catalog._projection.head()
        assert reached(reader, head, batches)
        progress = follower.finish()
        # It took part: it applied batches, or found that the writers' own waits (which
        # apply what is missing) had moved the position past it, and went on from there.
        assert progress.applied > 0 or progress.moved > 0
        assert reader.catalog.count() == 4 * 3
        assert dump(reader) == rebuilt(reader)
    finally:
        reader.close()
        follower.desk.close()


@pytest.fixture
def reader_url(postgres_url: str) -> Iterator[str]:
    """A login with CONNECT, USAGE and SELECT only (the auditor's), on a recorded store."""
    from urllib.parse import parse_qs, urlsplit

    import psycopg
    from psycopg import sql

    desk = CaseDesk.open(postgres_url)
    try:
        tell(desk)
    finally:
        desk.close()
    parts = urlsplit(postgres_url)
    schema = parse_qs(parts.query)["schema"][0]
    role = f"ch_reader_{uuid4().hex[:12]}"
    with psycopg.connect(parts._replace(query="").geturl(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(parts.path.lstrip("/")), sql.Identifier(role)
            )
        )
        conn.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(role)
            )
        )
        conn.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(role)
            )
        )
    host = parts.netloc.rpartition("@")[2]
    try:
        yield parts._replace(netloc=f"{role}@{host}").geturl()
    finally:
        with psycopg.connect(parts._replace(query="").geturl(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.postgres
@pytest.mark.parametrize("verb", ["rebuild", "follow"])
def test_a_login_that_may_not_write_is_refused_in_one_line(reader_url: str, verb: str) -> None:
    result = CliRunner().invoke(main, ["catalog", verb, "--db", reader_url])

    assert result.exit_code == 1, result.output
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith(
        f"Error: catalog {verb} writes the catalog's tables beside the events, and this "
        "login may not write to the store PostgreSQL "
    )
    assert "permission denied" in result.output


@pytest.mark.postgres
def test_a_login_that_may_only_read_lists_from_memory(reader_url: str) -> None:
    status = CliRunner().invoke(main, ["catalog", "status", "--json", "--db", reader_url])
    listing = CliRunner().invoke(main, ["list", "--status", "CLOSED", "--db", reader_url])

    assert status.exit_code == 0, status.output
    assert status.stdout.strip() == '{"exists": false, "position": 0, "head": 84, "behind": 84}'
    assert listing.exit_code == 0, listing.output
    assert "this answer folded its 84 events in memory" in listing.stderr
    assert listing.stdout.count("CLOSED") == 3
