"""Compatibility: a store written by release 0.1.0 opens, answers and verifies as it did.

``tests/fixtures/store-0.1.0.sqlite`` was written by the code of release 0.1.0
(commit fb5f7d5) with ``tests/fixtures/make_store_0_1_0.py``; ``store-0.1.0.json`` holds
what that release answered on it: every case's view, trail and last digest, as-of
answers (some served from the snapshots at versions 50 and 100 of the long case), what
``scan_log`` said of the store and the RFC 9162 root of its log. The current code must
give the same answers (docs/compatibility.md).

Only answers are compared, never the store's internals: a later release may ignore
the old snapshots (they carry no commitment) and replay the case from its events, or
write checkpoints in another form, as long as what it answers is the same. A later
release may add fields to a view or a trail line; it may not change or drop one.

Every test works on a copy in tmp_path: the committed file is never opened, and a
fixture checks its bytes are the same after each test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from casehistory import Actor, CaseDesk, ErasureGround, RecordedInPlaintext, Role, SteppingClock
from casehistory.audit.merkle import TreeBuilder
from casehistory.audit.scan import scan_log
from casehistory.cli import main
from casehistory.views.serialize import trail_as_dicts, view_as_dict

FIXTURES = Path(__file__).parent.parent / "fixtures"
STORE = FIXTURES / "store-0.1.0.sqlite"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "store-0.1.0.json").read_text())
CASES: dict[str, Any] = ANSWERS["cases"]
LONG_CASE = UUID(ANSWERS["named_cases"]["long-case"])


def plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), to compare with the file."""
    return json.loads(json.dumps(value))


def assert_same_answer(now: Any, then: Any, where: str) -> None:
    """Every field release 0.1.0 answered is answered the same; new fields may be added."""
    if isinstance(then, dict) and isinstance(now, dict):
        missing = sorted(set(then) - set(now))
        assert not missing, f"{where}: fields of release 0.1.0 dropped: {missing}"
        for key, value in then.items():
            assert_same_answer(now[key], value, f"{where}.{key}")
    elif isinstance(then, list) and isinstance(now, list):
        assert len(now) == len(then), f"{where}: {len(now)} items, release 0.1.0 had {len(then)}"
        for index, (item_now, item_then) in enumerate(zip(now, then, strict=True)):
            assert_same_answer(item_now, item_then, f"{where}[{index}]")
    else:
        assert now == then, f"{where}: {now!r}, release 0.1.0 answered {then!r}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def committed_store_unchanged() -> Iterator[None]:
    """The committed fixture has the same bytes after every test."""
    before = sha256(STORE)
    yield
    assert sha256(STORE) == before, f"{STORE} was changed: restore it with git"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the fixture store: the only file a test opens."""
    path = tmp_path / STORE.name
    shutil.copyfile(STORE, path)
    return path


@pytest.fixture
def desk(copy: Path) -> Iterator[CaseDesk]:
    desk = CaseDesk.open(str(copy))
    yield desk
    desk.close()


def log_of(desk: CaseDesk) -> tuple[Any, TreeBuilder, dict[UUID, bytes]]:
    """scan_log over the store: its outcome, the Merkle tree of its leaves, and the leaf
    of each case's highest version."""
    tree = TreeBuilder()
    heads: dict[UUID, tuple[int, bytes]] = {}

    def entry(event: Any) -> None:
        tree.append(event.leaf)
        if event.version > heads.get(event.case_id, (0, b""))[0]:
            heads[event.case_id] = (event.version, event.leaf)

    verification = scan_log(desk, entry=entry)
    return verification, tree, {case_id: leaf for case_id, (_, leaf) in heads.items()}


class TestTheFixture:
    def test_holds_every_story_and_a_long_case_with_snapshots_at_50_and_100(
        self, copy: Path
    ) -> None:
        with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as db:
            snapshots = db.execute(
                "SELECT originator_id, originator_version FROM stored_snapshots"
            ).fetchall()

        assert set(ANSWERS["named_cases"]) == {
            "late-return",
            "past-the-window",
            "bust-hard-drive",
            "bait-and-switch",
            "six-thousand-hold",
            "rocks-in-the-box",
            "long-case",
        }
        assert sorted((UUID(str(i)), v) for i, v in snapshots) == [
            (LONG_CASE, 50),
            (LONG_CASE, 100),
        ]
        assert ANSWERS["release"] == "0.1.0"

    def test_is_one_file_with_no_write_ahead_log_beside_it(self) -> None:
        assert not Path(f"{STORE}-wal").exists()
        assert not Path(f"{STORE}-shm").exists()


class TestTheSameAnswers:
    def test_the_same_cases_in_the_same_order(self, desk: CaseDesk) -> None:
        assert [str(case_id) for case_id in desk.case_ids()] == list(CASES)

    def test_every_view_as_release_0_1_0_answered_it(self, desk: CaseDesk) -> None:
        for case_id, then in CASES.items():
            now = plain(view_as_dict(desk.case(UUID(case_id))))

            assert_same_answer(now, then["view"], f"view of {case_id}")

    def test_every_trail_as_release_0_1_0_answered_it(self, desk: CaseDesk) -> None:
        for case_id, then in CASES.items():
            now = plain(trail_as_dicts(desk.trail(UUID(case_id))))

            assert_same_answer(now, then["trail"], f"trail of {case_id}")

    def test_every_as_of_answer_as_release_0_1_0_answered_it(self, desk: CaseDesk) -> None:
        for then in ANSWERS["as_of"]:
            as_of, known_at = (
                None if then[key] is None else datetime.fromisoformat(then[key])
                for key in ("as_of", "known_at")
            )

            view = desk.case(UUID(then["case_id"]), as_of=as_of, known_at=known_at)

            where = f"case {then['case_id']} as of {as_of} known at {known_at}"
            assert_same_answer(plain(view_as_dict(view)), then["view"], where)

    def test_every_case_ends_on_the_digest_release_0_1_0_chained(self, desk: CaseDesk) -> None:
        _, _, heads = log_of(desk)

        for case_id, then in CASES.items():
            assert desk.case(UUID(case_id)).digest == then["digest"], case_id
            assert heads[UUID(case_id)].hex() == then["digest"], case_id


class TestItVerifies:
    def test_scan_log_finds_every_chain_whole_with_the_same_counts(self, desk: CaseDesk) -> None:
        verification, _, _ = log_of(desk)

        assert verification.ok, verification.findings
        assert (verification.cases, verification.events) == (
            ANSWERS["scan_log"]["cases"],
            ANSWERS["scan_log"]["events"],
        )

    def test_the_log_has_the_merkle_root_release_0_1_0_computed(self, desk: CaseDesk) -> None:
        _, tree, _ = log_of(desk)

        assert (tree.size, tree.root().hex()) == (ANSWERS["log"]["size"], ANSWERS["log"]["root"])

    def test_the_verify_command_passes(self, copy: Path) -> None:
        code, output = run("verify", "--db", str(copy))

        assert code == 0, output


class TestTheCommandLine:
    def test_show_json_answers_as_release_0_1_0_did(self, copy: Path) -> None:
        for case_id, then in CASES.items():
            code, output = run("show", case_id, "--db", str(copy), "--json")

            assert code == 0, output
            assert_same_answer(json.loads(output), then["view"], f"show {case_id}")

    def test_trail_json_answers_as_release_0_1_0_did(self, copy: Path) -> None:
        code, output = run("trail", str(LONG_CASE), "--db", str(copy), "--json")

        assert code == 0, output
        rows = [json.loads(line) for line in output.splitlines()]
        assert_same_answer(rows, CASES[str(LONG_CASE)]["trail"], "trail of the long case")


class TestTheCurrentCodeCarriesTheOldHistoryOn:
    """Events recorded now, after the old ones: the store verifies as a whole (each event
    by the rules of its own format), and what the store knew then is answered the same."""

    def test_new_events_and_a_new_snapshot_after_the_old_ones(self, copy: Path) -> None:
        agent = Actor("noor.hassan", Role.AGENT)
        # Store time goes on from the fixture's (late 2026), whatever the wall clock says.
        clock = SteppingClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
        desk = CaseDesk.open(str(copy), clock=clock)
        try:
            head = desk.case(LONG_CASE)
            for n in range(150 - head.version):  # up to a snapshot of today's format at 150
                desk.add_note(
                    LONG_CASE, text=f"follow-up {n}", by=agent, occurred_at=head.last_recorded_at
                )

            verification, _, _ = log_of(desk)
            then = desk.case(LONG_CASE, known_at=head.last_recorded_at)
            assert desk.case(LONG_CASE).version == 150
        finally:
            desk.close()

        assert verification.ok, verification.findings
        assert verification.events == ANSWERS["scan_log"]["events"] + 6
        assert_same_answer(plain(view_as_dict(then)), CASES[str(LONG_CASE)]["view"], "long case")
        code, output = run("verify", "--db", str(copy))
        assert code == 0, output


class TestItCannotBeErased:
    """Texts of release 0.1.0 were recorded in plaintext: destroying a key cannot forget
    them, so forgetting one of its customers is refused, and records nothing."""

    def test_forget_customer_raises_recorded_in_plaintext_and_records_nothing(
        self, desk: CaseDesk
    ) -> None:
        customer = desk.case(LONG_CASE).customer.id
        before = {case_id: desk.case(case_id).version for case_id in desk.case_ids()}
        officer = Actor("p.officer", Role.PRIVACY_OFFICER)

        with pytest.raises(RecordedInPlaintext, match=customer):
            desk.forget_customer(customer, ground=ErasureGround.CONSENT_WITHDRAWN, by=officer)

        assert {case_id: desk.case(case_id).version for case_id in desk.case_ids()} == before
        assert_same_answer(
            plain(view_as_dict(desk.case(LONG_CASE))), CASES[str(LONG_CASE)]["view"], "long case"
        )
        verification, _, _ = log_of(desk)
        assert verification.ok, verification.findings
