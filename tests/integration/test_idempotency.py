"""Command ids, expected versions and retries, on SQLite and PostgreSQL, tried as a
queue, a webhook and a retrying client would: the same command delivered again, from
another process, after a restart, concurrently, and with other arguments."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseAlreadyExists,
    CaseDesk,
    Channel,
    CommandIdReused,
    ConcurrentUpdate,
    Customer,
    Fault,
    InvalidInput,
    Money,
    Role,
    SteppingClock,
    SystemClock,
)
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Verification
from casehistory.domain.sealed import shown

AGENT = Actor("a.lee", Role.AGENT)
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKER = Path(__file__).with_name("_idempotent_worker.py")


def verify_store(store: str) -> Verification:
    with CaseDesk.open(store, read_only=True) as desk:
        return scan_log(desk)


def verify_rules_cli(store: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casehistory", "verify", "--rules", "--db", store],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _open(desk: CaseDesk, command_id: str | None = None, subject: str = "s") -> UUID:
    return desk.open_case(
        customer=Customer("c-1", "Dana"),
        subject=subject,
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=WHEN,
        command_id=command_id,
    )


def _pay(desk: CaseDesk, case_id: UUID, amount: str, **kw: object) -> int:
    return desk.record_payment(
        case_id, amount=Money(amount, "EUR"), reference="P-1", by=AGENT, occurred_at=WHEN, **kw
    )  # type: ignore[arg-type]


class TestCommandIds:
    def test_a_repeat_records_nothing_and_answers_the_first_version(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)

        first = _pay(desk, case_id, "10.00", command_id="pay-1")
        desk.add_note(case_id, text="later", by=AGENT, occurred_at=WHEN)
        again = _pay(desk, case_id, "10.00", command_id="pay-1")

        assert first == again == 2
        assert len(desk.history(case_id)) == 3
        assert desk.case(case_id).ledger.balance("EUR").paid == Money("10.00", "EUR")

    def test_other_arguments_under_the_same_id_are_refused_and_record_nothing(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        _pay(desk, case_id, "10.00", command_id="pay-1")

        with pytest.raises(CommandIdReused, match=r"'pay-1' was recorded on case .* version 2"):
            _pay(desk, case_id, "99.00", command_id="pay-1")
        with pytest.raises(CommandIdReused):  # another command under the same id
            desk.add_note(case_id, text="t", by=AGENT, occurred_at=WHEN, command_id="pay-1")

        assert len(desk.history(case_id)) == 2

    def test_a_repeat_is_recognised_by_another_desk_after_a_restart(
        self, store: str, clock: SteppingClock
    ) -> None:
        with CaseDesk.open(store, clock=clock) as desk:
            case_id = _open(desk, command_id="open-7")
            first = _pay(desk, case_id, "10.00", command_id="pay-1")

        with CaseDesk.open(store, clock=clock) as restarted:
            assert _open(restarted, command_id="open-7") == case_id
            assert _pay(restarted, case_id, "10.00", command_id="pay-1") == first
            assert len(restarted.history(case_id)) == 2
            assert len(list(restarted.case_ids())) == 1

    def test_an_opening_under_a_used_id_with_other_arguments_is_refused(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        _open(desk, command_id="open-7")

        with pytest.raises(CommandIdReused):
            _open(desk, command_id="open-7", subject="another subject")
        with pytest.raises(CaseAlreadyExists):  # an explicit id still clashes as before
            desk.open_case(
                customer=Customer("c-1", "Dana"),
                subject="s",
                channel=Channel.PHONE,
                by=AGENT,
                occurred_at=WHEN,
                case_id=desk.open_case(
                    customer=Customer("c-2", "Eve"),
                    subject="s",
                    channel=Channel.PHONE,
                    by=AGENT,
                    occurred_at=WHEN,
                ),
            )

    def test_a_repeat_is_answered_even_where_the_rules_would_now_refuse(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        supervisor = Actor("s.kim", Role.SUPERVISOR)
        desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=WHEN)
        desk.resolve_case(case_id, resolution="fixed", fault=Fault.NONE, by=AGENT, occurred_at=WHEN)
        closed_at = desk.close_case(case_id, by=supervisor, occurred_at=WHEN, command_id="close")

        # The case is closed now; the repeat is recognised before any rule is checked.
        assert desk.close_case(case_id, by=supervisor, occurred_at=WHEN, command_id="close") == (
            closed_at
        )

    @pytest.mark.parametrize("bad", ["", "a b", 'q"uote', "back\\slash", "é", "x" * 201, 7])
    def test_a_malformed_id_is_invalid_input(
        self, open_desk: Callable[[], CaseDesk], bad: object
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        with pytest.raises(InvalidInput, match="command_id must be"):
            _pay(desk, case_id, "1.00", command_id=bad)
        assert len(desk.history(case_id)) == 1

    def test_the_id_is_in_the_record_and_a_changed_id_breaks_the_chain(
        self, sqlite_path: Path, clock: SteppingClock
    ) -> None:
        with CaseDesk.open(sqlite_path, clock=clock) as desk:
            case_id = _open(desk)
            _pay(desk, case_id, "10.00", command_id="pay-1")
            event = desk.history(case_id)[1]
            assert vars(event)["command_id"] == "pay-1"
            line = desk.trail(case_id).lines[1]
            assert line.command_id == "pay-1"
            assert str(line).endswith(" | command pay-1")
            assert desk.trail(case_id).lines[0].command_id is None
        assert verify_store(str(sqlite_path)).ok

        with sqlite3.connect(sqlite_path) as conn:
            conn.execute(
                "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), "
                "'\"pay-1\"', '\"pay-2\"') AS BLOB) WHERE originator_version = 2"
            )
        report = verify_store(str(sqlite_path))
        assert not report.ok
        assert any(f.version == 2 for f in report.findings)

    def test_a_text_that_spells_a_command_id_is_not_taken_for_one(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        desk.add_note(case_id, text='"command_id":"pay-1"', by=AGENT, occurred_at=WHEN)

        assert _pay(desk, case_id, "10.00", command_id="pay-1") == 3
        assert len(desk.history(case_id)) == 3


class TestExpectedVersion:
    def test_a_case_that_moved_on_is_refused_naming_both_versions(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        seen = desk.case(case_id).version
        desk.add_note(case_id, text="someone else", by=AGENT, occurred_at=WHEN)

        with pytest.raises(ConcurrentUpdate, match=r"at version 2, not at the expected version 1"):
            _pay(desk, case_id, "10.00", expected_version=seen)

        assert len(desk.history(case_id)) == 2
        assert _pay(desk, case_id, "10.00", expected_version=2) == 3

    def test_a_repeat_with_an_id_answers_the_first_even_past_its_expected_version(
        self, open_desk: Callable[[], CaseDesk]
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        assert _pay(desk, case_id, "10.00", command_id="p", expected_version=1) == 2
        assert _pay(desk, case_id, "10.00", command_id="p", expected_version=1) == 2

    @pytest.mark.parametrize("bad", [0, -1, True, "1", 1.0])
    def test_a_malformed_version_is_invalid_input(
        self, open_desk: Callable[[], CaseDesk], bad: object
    ) -> None:
        desk = open_desk()
        case_id = _open(desk)
        with pytest.raises(InvalidInput, match="expected_version"):
            _pay(desk, case_id, "10.00", expected_version=bad)


class TestRetries:
    def test_retries_is_a_bounded_whole_number(self) -> None:
        desk = CaseDesk.open(":memory:")
        assert desk.retries == 0
        for bad in (-1, 101, True, 1.5, "3"):
            with pytest.raises(InvalidInput):
                desk.retries = bad  # type: ignore[assignment]
        desk.retries = 5
        assert desk.retries == 5

    def test_four_processes_sending_the_same_200_commands_record_each_once(
        self, store: str
    ) -> None:
        case_id, reports = _race(store, count=200, mode="same")

        with CaseDesk.open(store, read_only=True) as reader:
            history = reader.history(case_id)
        ids = Counter(vars(e).get("command_id") for e in history[1:])
        assert len(history) == 200 + 1
        assert ids == Counter({f"note-{n}": 1 for n in range(200)})
        recorded = {vars(e)["command_id"]: e.originator_version for e in history[1:]}
        for report in reports:
            assert report["gave_up"] == 0
            # Every process was answered the version the first delivery recorded.
            assert report["versions"] == recorded
        assert sum(report["met"] for report in reports) > 0, "the writers never overlapped"
        assert verify_store(store).ok
        checked = verify_rules_cli(store)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    def test_four_writers_on_one_case_with_retries_record_every_command_once(
        self, store: str
    ) -> None:
        case_id, reports = _race(store, count=50, mode="own")

        with CaseDesk.open(store, read_only=True) as reader:
            history = reader.history(case_id)
            # Each note's text as a view shows it: recorded sealed, opened by the reader.
            shown_texts = [shown(e.text) for e in history[1:]]  # type: ignore[attr-defined]
        texts = Counter(shown_texts)
        assert texts == Counter({f"w{w}-{n}": 1 for w in range(4) for n in range(50)})
        versions = {
            text: e.originator_version for text, e in zip(shown_texts, history[1:], strict=True)
        }
        for report in reports:
            assert report["gave_up"] == 0
            assert report["versions"].items() <= versions.items()
        assert sum(report["met"] for report in reports) > 0, "the writers never overlapped"
        assert verify_store(store).ok


def _race(store: str, *, count: int, mode: str) -> tuple[UUID, list[dict[str, Any]]]:
    """Four worker processes on one new case, started together; their reports."""
    with CaseDesk.open(store, clock=SystemClock()) as desk:
        case_id = _open(desk)
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), store, str(case_id), str(seed), str(count), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(4)
    ]
    try:
        for worker in workers:  # every process has opened its desk
            assert worker.stdout is not None
            assert worker.stdout.readline() == "ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    for (_out, err), worker in zip(outputs, workers, strict=True):
        assert worker.returncode == 0, err
    return case_id, [json.loads(out) for out, _ in outputs]


class TestAudit:
    def test_a_command_recorded_twice_under_one_id_is_unlawful_to_verify_rules(
        self, sqlite_path: Path, clock: SteppingClock
    ) -> None:
        from casehistory.audit.rules import verify_rules
        from casehistory.audit.verify import Problem
        from casehistory.desk._keys import CaseSealer
        from casehistory.domain.commands import CommandId, fingerprint

        with CaseDesk.open(sqlite_path, clock=clock) as desk:
            case_id = _open(desk)
            desk.add_note(case_id, text="t", by=AGENT, occurred_at=WHEN, command_id="n-1")
            # What a desk blind to its ids (a re-encoded store, before the fix) recorded:
            # the repeat, under the same id, saved on its own.
            case = desk._load(case_id)
            arguments = {"case_id": case_id, "text": "t", "by": AGENT, "occurred_at": WHEN}
            case.__dict__["command"] = CommandId("n-1", fingerprint("add_note", arguments))
            # Sealed as a desk seals it: the one rule broken is the command id's.
            case.__dict__["sealer"] = CaseSealer(desk._keys, case.state.customer.id)
            case.add_note(text="t", by=AGENT, occurred_at=WHEN, recorded_at=desk.clock.now())
            desk._save(case)
        assert verify_store(str(sqlite_path)).ok  # every chain holds

        with CaseDesk.open(sqlite_path, read_only=True) as reader:
            findings = verify_rules(reader).findings

        assert [(f.version, f.problem) for f in findings] == [(3, Problem.UNLAWFUL)]
        assert "recorded at version 2 already" in findings[0].detail

    def test_a_sqlite_store_finds_an_id_through_an_index_not_by_reading_the_case(
        self, sqlite_path: Path, clock: SteppingClock
    ) -> None:
        from casehistory.desk._idempotent import _SQLITE_COMMAND_ID

        with CaseDesk.open(sqlite_path, clock=clock) as desk:
            case_id = _open(desk)
            _pay(desk, case_id, "1.00", command_id="pay-1")
        with sqlite3.connect(sqlite_path) as conn:
            plan = conn.execute(
                "EXPLAIN QUERY PLAN SELECT originator_version, state FROM stored_events "
                f"WHERE originator_id = ? AND {_SQLITE_COMMAND_ID} = ?",
                (case_id.hex, "pay-1"),
            ).fetchall()
        assert "USING INDEX stored_events_command_ids" in str(plan)

    def test_a_read_only_desk_adds_no_index(self, sqlite_path: Path, clock: SteppingClock) -> None:
        with CaseDesk.open(sqlite_path, clock=clock) as desk:
            _open(desk)
        with sqlite3.connect(sqlite_path) as conn:
            conn.execute("DROP INDEX stored_events_command_ids")
        before = sqlite_path.read_bytes()

        with CaseDesk.open(sqlite_path, read_only=True) as reader:
            assert len(list(reader.case_ids())) == 1

        assert sqlite_path.read_bytes() == before

    def test_a_postgresql_store_finds_an_id_through_an_index(
        self, postgres_url: str, clock: SteppingClock
    ) -> None:
        import psycopg
        from psycopg import sql

        with CaseDesk.open(postgres_url, clock=clock) as desk:
            case_id = _open(desk)
            _pay(desk, case_id, "1.00", command_id="pay-1")
            assert _pay(desk, case_id, "1.00", command_id="pay-1") == 2
            assert desk._store.recorder.command_index  # the desk asks through the index
        schema = postgres_url.split("schema=")[1].split("&")[0]
        with psycopg.connect(postgres_url.split("?")[0]) as conn:
            conn.execute("SET enable_seqscan = off")
            plan = conn.execute(
                sql.SQL(
                    "EXPLAIN SELECT originator_version FROM {} WHERE originator_id = %s "
                    "AND {}(state) = %s"
                ).format(
                    sql.Identifier(schema, "casedesk_events"),
                    sql.Identifier(schema, "casedesk_command_id"),
                ),
                (case_id, "pay-1"),
            ).fetchall()
        assert "casedesk_events_command_ids" in str(plan)
