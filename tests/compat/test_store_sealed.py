"""Compatibility: the store of the first sealed format opens, answers and verifies as it did.

``tests/fixtures/store-sealed.sqlite`` was written by commit 2a6c5e6 (personal texts
sealed under per-customer keys; every event class at ``class_version`` 1, just before
the first change of an event's schema) with ``tests/fixtures/make_store_sealed.py``;
``store-sealed.json`` holds what that code answered: every case's view, trail and last
digest, as-of answers of the long case (from its snapshots), what ``scan_log`` said,
the log's RFC 9162 root, and which customer it forgot. The current code must give the
same answers (docs/compatibility.md), read the events whose class has evolved since
(``ReplacementShipped`` version 1, in the past-the-window story) through their
upcasters, and verify them by the record as it was stored.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from casehistory import (
    ERASED,
    Actor,
    CaseDesk,
    ErasureGround,
    RecordedInPlaintext,
    Role,
    SteppingClock,
)
from casehistory.audit.merkle import TreeBuilder
from casehistory.audit.scan import scan_log
from casehistory.cli import main
from casehistory.events import ReplacementShipped
from casehistory.views.serialize import trail_as_dicts, view_as_dict

FIXTURES = Path(__file__).parent.parent / "fixtures"
STORE = FIXTURES / "store-sealed.sqlite"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "store-sealed.json").read_text())
CASES: dict[str, Any] = ANSWERS["cases"]
NAMED = {name: UUID(case_id) for name, case_id in ANSWERS["named_cases"].items()}
LONG_CASE = NAMED["long-case"]
FORGOTTEN = ANSWERS["forgotten_customer"]


def plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def assert_same_answer(now: Any, then: Any, where: str) -> None:
    """Every field answered then is answered the same; new fields may be added."""
    if isinstance(then, dict) and isinstance(now, dict):
        missing = sorted(set(then) - set(now))
        assert not missing, f"{where}: fields dropped: {missing}"
        for key, value in then.items():
            assert_same_answer(now[key], value, f"{where}.{key}")
    elif isinstance(then, list) and isinstance(now, list):
        assert len(now) == len(then), f"{where}: {len(now)} items, there were {len(then)}"
        for index, (item_now, item_then) in enumerate(zip(now, then, strict=True)):
            assert_same_answer(item_now, item_then, f"{where}[{index}]")
    else:
        assert now == then, f"{where}: {now!r}, the sealed format answered {then!r}"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def committed_store_unchanged() -> Iterator[None]:
    before = hashlib.sha256(STORE.read_bytes()).hexdigest()
    yield
    after = hashlib.sha256(STORE.read_bytes()).hexdigest()
    assert after == before, f"{STORE} was changed: restore it with git"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    path = tmp_path / STORE.name
    shutil.copyfile(STORE, path)
    return path


@pytest.fixture
def desk(copy: Path) -> Iterator[CaseDesk]:
    desk = CaseDesk.open(str(copy))
    yield desk
    desk.close()


def test_every_view_trail_and_last_digest_as_answered(desk: CaseDesk) -> None:
    assert [str(case_id) for case_id in desk.case_ids()] == list(CASES)
    for case_id, then in CASES.items():
        view = desk.case(UUID(case_id))
        assert_same_answer(plain(view_as_dict(view)), then["view"], f"view of {case_id}")
        trail = plain(trail_as_dicts(desk.trail(UUID(case_id))))
        assert_same_answer(trail, then["trail"], f"trail of {case_id}")
        assert view.digest == then["digest"], case_id


def test_every_as_of_answer_of_the_long_case_as_answered(desk: CaseDesk) -> None:
    for then in ANSWERS["as_of"]:
        as_of, known_at = (
            None if then[key] is None else datetime.fromisoformat(then[key])
            for key in ("as_of", "known_at")
        )
        view = desk.case(UUID(then["case_id"]), as_of=as_of, known_at=known_at)
        assert_same_answer(plain(view_as_dict(view)), then["view"], f"as of {as_of}/{known_at}")


def test_the_forgotten_customer_stays_forgotten_and_the_others_readable(desk: CaseDesk) -> None:
    forgotten = desk.case(NAMED["bait-and-switch"])
    assert (forgotten.customer.id, forgotten.customer.name) == (FORGOTTEN, ERASED)
    assert desk.case(LONG_CASE).customer.name == "Tomás Ferreira"


def test_a_replacement_shipped_under_version_1_reads_through_its_upcaster(
    desk: CaseDesk,
) -> None:
    shipped = [
        e for e in desk.history(NAMED["past-the-window"]) if isinstance(e, ReplacementShipped)
    ]
    assert shipped, "the past-the-window story ships a replacement"
    assert all(e.tracking_number and e.carrier is None for e in shipped)


def test_scan_log_and_the_log_root_as_computed_then(desk: CaseDesk) -> None:
    tree = TreeBuilder()
    verification = scan_log(desk, entry=lambda event: tree.append(event.leaf))

    assert verification.ok, verification.findings
    assert (verification.cases, verification.events) == (
        ANSWERS["scan_log"]["cases"],
        ANSWERS["scan_log"]["events"],
    )
    assert (tree.size, tree.root().hex()) == (ANSWERS["log"]["size"], ANSWERS["log"]["root"])


def test_verify_and_verify_rules_pass(copy: Path) -> None:
    for args in (["verify"], ["verify", "--rules"]):
        code, output = run(*args, "--db", str(copy))
        assert code == 0, output


def test_new_events_after_the_old_ones_verify_with_them(copy: Path) -> None:
    clock = SteppingClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    with CaseDesk.open(str(copy), clock=clock) as desk:
        head = desk.case(LONG_CASE)
        agent = Actor("noor.hassan", Role.AGENT)
        for n in range(150 - head.version):  # up to a snapshot of today's format at 150
            desk.add_note(LONG_CASE, text=f"later {n}", by=agent, occurred_at=head.opened_at)
        assert desk.case(LONG_CASE).version == 150
        verification = scan_log(desk)
    assert verification.ok, verification.findings
    code, output = run("verify", "--rules", "--db", str(copy))
    assert code == 0, output


def test_forgetting_a_customer_of_the_sealed_format_works(copy: Path) -> None:
    clock = SteppingClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    with CaseDesk.open(str(copy), clock=clock) as desk:
        erasure = desk.forget_customer(
            "CUST-20931",
            ground=ErasureGround.OBJECTION,
            by=Actor("p.osei", Role.PRIVACY_OFFICER),
        )
        assert erasure.recorded == (LONG_CASE,)
        assert desk.case(LONG_CASE).customer.name == ERASED
    assert b"Ferreira" not in copy.read_bytes()
    code, output = run("verify", "--rules", "--db", str(copy))
    assert code == 0, output


def test_the_0_1_0_fixture_cannot_be_forgotten_and_says_why(tmp_path: Path) -> None:
    old = tmp_path / "store-0.1.0.sqlite"
    shutil.copyfile(FIXTURES / "store-0.1.0.sqlite", old)
    with CaseDesk.open(str(old), clock=SteppingClock(datetime(2027, 1, 4, tzinfo=UTC))) as desk:
        before = len(desk.history(LONG_CASE))
        with pytest.raises(RecordedInPlaintext, match="recorded before sealing"):
            desk.forget_customer(
                "CUST-20931",
                ground=ErasureGround.OBJECTION,
                by=Actor("p.osei", Role.PRIVACY_OFFICER),
            )
        assert len(desk.history(LONG_CASE)) == before
