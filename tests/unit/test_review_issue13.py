"""Adversarial review of issue 13 (crypto-shredding, event evolution), from outside.

Each test is an attack that works today: it is marked ``xfail(strict=True)``, so the
suite stays green, and a fix turns it into a failure until the mark is removed. What
held up under attack is listed in the review's report, not here.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import (
    ERASED,
    CaseDesk,
    ErasureGround,
    InvalidInput,
    RecordedInPlaintext,
    StoreUnavailable,
)
from casehistory.audit.rules import verify_rules
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import check_store, make_checkpoint
from tests.unit._builders import COMMANDS, drive_to, file_desk, home_status
from tests.unit._personal import AGENT, DPO, T
from tests.unit._personal import case as _case
from tests.unit._personal import desk as _desk
from tests.unit._personal import forget as _forget


def test_forgetting_a_case_with_an_unsealed_text_is_refused() -> None:
    """Attack: write a NoteAdded beneath the desk (no sealer, plaintext, correct digest)
    on a sealed case, then forget the customer. verify --rules does flag the note, but
    forget_customer only looks at the opening's customer name (require_forgettable),
    destroys the key, records CustomerForgotten and returns an Erasure; the trail still
    shows the note in plaintext, and the erasure is reported done.

    Fix: require_forgettable checks every personal field of every event of the case
    (PERSONAL), as docs/data-protection.md step 1 and notes/sealing.md promise ("if any
    personal text of theirs was recorded unsealed"), and raises RecordedInPlaintext."""
    desk = _desk()
    case_id = _case(desk)
    case = desk._load(case_id)  # beneath the desk: no sealer, the text in plaintext
    case.add_note(
        text="Zebedee Quux, written unsealed", by=AGENT, occurred_at=T, recorded_at=desk.clock.now()
    )
    desk._store.save(case)

    with pytest.raises(RecordedInPlaintext):
        _forget(desk)


def _forgotten_with_key_restored(tmp_path: Path) -> tuple[Path, UUID]:
    """A forgotten customer's store in which their key row was put back by SQL (a key
    table restored from a backup, a dump re-imported, an operator's INSERT)."""
    path = tmp_path / "cases.sqlite"
    with _desk(path) as desk:
        case_id = _case(desk)
        with closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT key_id, customer_id, key FROM casedesk_keys").fetchone()
        _forget(desk)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO casedesk_keys VALUES (?, ?, ?)", row)
    return path, case_id


def test_a_restored_key_does_not_bring_a_forgotten_case_back(tmp_path: Path) -> None:
    """Attack: after forget_customer, INSERT the customer's old key row again (a partial
    restore, a re-imported dump). The case's own log says its customer was forgotten,
    and the catalog reads [erased] (catalog/_rows.personal_text checks state.forgotten),
    but desk.case() and desk.trail() open every box with the key and show the name and
    the notes in plaintext.

    Fix: views and trails show ERASED for the personal texts of a case whose state is
    forgotten, whatever the key store says (as the catalog already does); reading a
    forgotten case never asks the key store."""
    path, case_id = _forgotten_with_key_restored(tmp_path)
    with _desk(path, hour=10) as desk:
        assert type(desk.history(case_id)[-1]).__name__ == "CustomerForgotten"
        assert desk.case(case_id).customer.name == ERASED
        assert all("Zebedee" not in line.what for line in desk.trail(case_id).lines)


def test_verify_finds_a_key_that_opens_a_forgotten_case(tmp_path: Path) -> None:
    """Attack: as above, the forgotten customer's key row put back by SQL. scan_log,
    verify --rules and check_store all pass: nothing checks that the erasure the log
    records still holds, so the undoing of an erasure goes unseen.

    Fix: verify --rules (or scan_log) reports, for each case with CustomerForgotten,
    a key in casedesk_keys whose key id seals a box of that case, or a key row under
    the forgotten customer's id made before the erasure (the cure: forget again)."""
    path, _ = _forgotten_with_key_restored(tmp_path)
    with _desk(path, hour=10) as desk:
        assert scan_log(desk).ok
        assert not verify_rules(desk).ok


def test_a_box_under_another_customers_key_is_unlawful() -> None:
    """Attack: beneath the desk (no sealer), append on X's case a NoteAdded whose text is
    a box taken from Y's case, with a correct digest. _unsealed only looks for plain
    strings and the replay records the same box, so verify --rules passes; after
    forget_customer(X) the note on X's forgotten case still opens (Y's key) and the
    trail shows it.

    Fix: verify --rules checks that every box of a case is under the key id of the
    case's opening, or under a key the key store gives to the case's customer, or under
    no existing key; forget_customer refuses (or verifies after destroying the key) when
    a box of the case still opens."""
    desk = _desk()
    x = _case(desk, "C-X", "Xavier")
    y = _case(desk, "C-Y", "Yolanda")
    theirs = vars(desk.history(y)[-1])["text"]
    case = desk._load(x)
    case.add_note(text=theirs, by=AGENT, occurred_at=T, recorded_at=desk.clock.now())
    desk._store.save(case)

    found = verify_rules(desk).findings
    assert [(f.case_id, f.version) for f in found] == [(x, case.version)]
    assert "not the key of the case's customer 'C-X'" in found[0].detail
    assert verify_rules(desk, [y]).ok  # Y's own case holds Y's box lawfully

    desk.forget_customer("C-Y", ground=ErasureGround.CONSENT_WITHDRAWN, by=DPO)
    # Y's key destroyed: the copied box opens under no key, and whose it was is unknown.
    assert verify_rules(desk).ok


def test_a_case_left_out_of_its_customers_erasure_is_found(tmp_path: Path) -> None:
    """Attack: the customer has two cases; forget them, then DELETE the CustomerForgotten
    row of the second case (its last row: the chain cannot see a tail cut off). The
    case now takes personal text again (a fresh key is made for the customer), and
    scan_log and verify --rules pass: without a checkpoint taken after the erasure,
    nothing notices. An interrupted forget_customer leaves the same state, also unseen.

    Fix: verify --rules reports a case opened before its customer's erasure on another
    case (the log holds both) that has no CustomerForgotten of its own: "the erasure
    of customer C is incomplete; run casehistory forget again"."""
    path = tmp_path / "cases.sqlite"
    with _desk(path) as desk:
        _case(desk, "C-2")
        second = _case(desk, "C-2")
        _forget(desk, "C-2")
    with closing(sqlite3.connect(path)) as db, db:
        last = db.execute(
            "SELECT MAX(originator_version) FROM stored_events WHERE originator_id = ?",
            (second.hex,),
        ).fetchone()[0]
        db.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (second.hex, last),
        )
    with _desk(path, hour=10) as desk:
        assert type(desk.history(second)[-1]).__name__ != "CustomerForgotten"
        desk.add_note(second, text="collected again", by=AGENT, occurred_at=T)
        assert str(vars(desk.history(second)[-1])["text"]) == "collected again"
        assert scan_log(desk).ok
        assert not verify_rules(desk).ok


def test_an_as_stored_key_in_a_current_row_does_not_hide_a_change(tmp_path: Path) -> None:
    """Attack: take a ReplacementShipped row of class version 2 (written by this release),
    put its original fields under "_as_stored", and change tracking_number and carrier
    (here to personal text in plaintext). The mapper's plain path keeps "_as_stored" in
    the event's __dict__; record_of then hashes it, not the fields, so the digest
    matches; the raw verifier hands evolved events to the reference path, which has no
    list of allowed keys; verify --rules compares upcast records (_same_fact), which
    hold the changed fields on both sides. scan_log, verify --rules and check_store with
    a checkpoint signed before the change all pass, and views show the forged values.

    Fix: AS_STORED is set only by CaseMapper._versioned; plain_event and _general drop
    (or refuse: "fields it does not declare") a stored "_as_stored" key, and the
    reference path of verify refuses keys outside the class version's fields, as
    raw_record does for version-1 classes."""
    path = tmp_path / "cases.sqlite"
    with file_desk(path) as desk:
        case_id = drive_to(desk, home_status("ReplacementShipped"))
        COMMANDS["ReplacementShipped"](desk, case_id, None)
        before, verification = make_checkpoint(desk)
        assert verification.ok
        assert before is not None
    with closing(sqlite3.connect(path)) as db, db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%ReplacementShipped'"
        ).fetchone()
        fields = json.loads(state)
        assert fields["class_version"] == 2
        fields["_as_stored"] = {k: v for k, v in fields.items() if k != "class_version"}
        fields["tracking_number"] = "Ada Quintero, 12 rue Secrete, Lyon"
        fields["carrier"] = "her neighbour"
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (json.dumps(fields).encode(), rowid),
        )
    with CaseDesk.open(str(path), read_only=True) as reader:
        with pytest.raises(StoreUnavailable, match="_as_stored, which no desk writes"):
            reader.history(case_id)  # the forgery is not read as the case
        assert not check_store(reader, [before]).ok
        assert not scan_log(reader).ok


def test_a_refused_personal_text_is_not_quoted_in_the_error() -> None:
    """Attack: a note (a personal field) with a lone surrogate, as a badly decoded form
    sends it. require_text refuses it with InvalidInput whose message repeats the text
    (``{value!r:.200}``); the CLI prints such messages and applications log them, where
    no erasure reaches. The same holds for a customer's name or email.

    Fix: require_text names the field, the offset of the bad character and the length,
    never the value (at least for the fields PERSONAL declares and Customer.name/email)."""
    desk = _desk()
    case_id = _case(desk)
    with pytest.raises(InvalidInput) as refused:
        desk.add_note(
            case_id, text="Ada Quintero lives at 12 rue Secrete \ud800", by=AGENT, occurred_at=T
        )
    assert "Quintero" not in str(refused.value)
