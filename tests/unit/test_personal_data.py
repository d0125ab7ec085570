"""Sealed personal data and forgetting a customer, attacked from outside
(docs/data-protection.md): a box changed or moved, a caller handing in its own box, a
forged plaintext event with a correct digest, forgetting twice, by the wrong role, a
returning customer."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import (
    ERASED,
    CaseDesk,
    CaseNotFound,
    ErasureGround,
    InvalidInput,
    Money,
    NotAuthorised,
    PersonalDataErased,
    Sealed,
    SteppingClock,
    StoreUnavailable,
)
from casehistory.audit.rules import verify_rules
from casehistory.events import CustomerForgotten, NoteAdded
from tests.unit._personal import AGENT, T
from tests.unit._personal import case as _case
from tests.unit._personal import desk as _desk
from tests.unit._personal import forget as _forget


def test_a_sealed_text_is_a_box_whose_repr_holds_no_text() -> None:
    desk = _desk()
    note = desk.history(_case(desk))[-1]
    assert isinstance(note, NoteAdded)
    assert isinstance(note.text, Sealed)
    key_id, _, box = note.text.box.partition(".")
    assert len(key_id) == 16
    assert box
    assert "Zebedee" not in repr(note.text)
    assert "Zebedee" not in note.text.box
    assert str(note.text) == "Zebedee Quux lives upstairs"


def test_the_same_text_seals_to_a_different_box_each_time() -> None:
    desk = _desk()
    case_id = _case(desk)
    desk.add_note(case_id, text="same", by=AGENT, occurred_at=T)
    desk.add_note(case_id, text="same", by=AGENT, occurred_at=T)
    first, second = (e.text for e in desk.history(case_id)[-2:])
    assert str(first) == str(second) == "same"
    assert first != second  # a fresh nonce: equal texts are not told apart by their boxes


def test_a_caller_cannot_hand_in_a_box_of_its_own() -> None:
    desk = _desk()
    case_id = _case(desk)
    stolen = desk.history(case_id)[-1].text
    before = desk.case(case_id).version
    with pytest.raises(InvalidInput, match="not a sealed value"):
        desk.add_note(case_id, text=stolen, by=AGENT, occurred_at=T)  # type: ignore[arg-type]
    assert desk.case(case_id).version == before


def test_a_box_changed_by_sql_does_not_open_and_verify_finds_it(tmp_path: Path) -> None:
    from casehistory.audit.scan import scan_log

    path = tmp_path / "cases.sqlite"
    desk = _desk(path)
    case_id = _case(desk)
    desk.close()
    with closing(sqlite3.connect(path)) as db, db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%NoteAdded'"
        ).fetchone()
        box = state.split(b'"sealed","_data_":"')[1].split(b'"')[0]
        changed = box[:-2] + (b"AA" if box[-2:] != b"AA" else b"BB")
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (state.replace(box, changed), rowid),
        )
    with _desk(path) as reader:
        with pytest.raises(StoreUnavailable, match="does not open"):
            str(reader.history(case_id)[-1].text)
        assert not scan_log(reader).ok


def test_a_forged_plaintext_event_with_a_correct_digest_is_unlawful() -> None:
    desk = _desk()
    case_id = _case(desk)
    case = desk._load(case_id)  # beneath the desk: no sealer, the text in plaintext
    case.add_note(
        text="Zebedee Quux, written unsealed",
        by=AGENT,
        occurred_at=T,
        recorded_at=desk.clock.now(),
    )
    desk._store.save(case)
    forged = desk.history(case_id)[-1]
    assert forged.text == "Zebedee Quux, written unsealed"

    findings = verify_rules(desk).findings

    assert any("unsealed" in f.detail and f.version == forged.originator_version for f in findings)


def test_forgetting_takes_a_privacy_officer_and_a_known_customer() -> None:
    desk = _desk()
    case_id = _case(desk)
    with pytest.raises(NotAuthorised):
        desk.forget_customer("C-1", ground=ErasureGround.OBJECTION, by=AGENT)
    with pytest.raises(CaseNotFound, match="no case of customer"):
        _forget(desk, "C-404")
    assert str(desk.case(case_id).subject) == "Zebedee Quux's kettle leaks"


def test_forgetting_erases_every_case_of_the_customer_and_no_other() -> None:
    desk = _desk()
    first, second = _case(desk), _case(desk)
    other = _case(desk, "C-2", "Ada Other")

    erasure = _forget(desk)

    assert erasure.cases == (first, second)  # type: ignore[attr-defined]
    for case_id in (first, second):
        view = desk.case(case_id)
        assert (view.customer.name, view.customer.email, view.subject) == (ERASED,) * 3
        assert isinstance(desk.history(case_id)[-1], CustomerForgotten)
    assert desk.case(other).customer.name == "Ada Other"
    again = _forget(desk)
    assert again.recorded == ()  # type: ignore[attr-defined]
    assert again.key_destroyed is False  # type: ignore[attr-defined]


def test_after_forgetting_commands_without_personal_text_still_work() -> None:
    desk = _desk()
    case_id = _case(desk)
    _forget(desk)

    desk.record_payment(
        case_id, amount=Money("10.00", "EUR"), reference="P-1", by=AGENT, occurred_at=T
    )
    with pytest.raises(PersonalDataErased, match="text"):
        desk.add_note(case_id, text="again", by=AGENT, occurred_at=T)
    with pytest.raises(PersonalDataErased, match="reason"):
        desk.transfer_case(case_id, to_department="Billing", reason="x", by=AGENT, occurred_at=T)
    assert desk.case(case_id).ledger.balance("EUR").paid == Money("10.00", "EUR")


def test_a_customer_who_comes_back_gets_a_new_key() -> None:
    desk = _desk()
    old = _case(desk)
    _forget(desk)
    new = _case(desk, name="Zebedee Back")
    assert desk.case(new).customer.name == "Zebedee Back"
    assert desk.case(old).customer.name == ERASED
    old_key = desk.history(old)[2].text.key_id
    assert desk.history(new)[2].text.key_id != old_key


def test_verify_rules_passes_after_forgetting() -> None:
    desk = _desk()
    _case(desk)
    _case(desk, "C-2", "Ada Other")
    _forget(desk)
    assert verify_rules(desk).ok


def test_two_desks_one_forgets_the_other_keeps_no_stale_key_for_what_it_writes_next(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cases.sqlite"
    clock = SteppingClock(datetime(2026, 11, 2, 9, tzinfo=UTC))  # one clock, as desks share time
    with (
        CaseDesk.open(str(path), clock=clock) as first,
        CaseDesk.open(str(path), clock=clock) as second,
    ):
        old = _case(second)  # the second desk has sealed under the customer's key
        _forget(first)
        with pytest.raises(PersonalDataErased):
            second.add_note(old, text="stale key?", by=AGENT, occurred_at=T)
        new = _case(second, name="Zebedee Returns")  # a new case: a new key, read afresh
        second.add_note(new, text="welcome back", by=AGENT, occurred_at=T)
        assert str(first.history(new)[-1].text) == "welcome back"
        assert first.case(new).customer.name == "Zebedee Returns"
        assert second.case(old).customer.name == ERASED


def _sealed_under(desk: CaseDesk, case_id: UUID) -> str:
    note = desk.history(case_id)[-1]
    assert isinstance(note, NoteAdded)
    assert isinstance(note.text, Sealed)
    return note.text.key_id


def test_a_key_another_desk_destroyed_is_never_used_to_seal_again(tmp_path: Path) -> None:
    # What forget_customer commits first (the key destroyed), before the erasure is
    # recorded on the case: a desk that kept the key for its hot case must read it again.
    path = tmp_path / "cases.sqlite"
    clock = SteppingClock(datetime(2026, 11, 2, 9, tzinfo=UTC))
    with (
        CaseDesk.open(str(path), clock=clock) as first,
        CaseDesk.open(str(path), clock=clock, cache=16) as second,
    ):
        case_id = _case(second)
        second.add_note(case_id, text="kept key", by=AGENT, occurred_at=T)
        old_key = _sealed_under(second, case_id)
        assert old_key in second._keys._ciphers  # kept, with when the store was seen
        assert first._keys.destroy("C-1")
        second.add_note(case_id, text="after the key went", by=AGENT, occurred_at=T)
        assert _sealed_under(second, case_id) != old_key  # read again: a new key
        assert old_key not in second._keys._ciphers  # and the destroyed one not kept
        assert str(first.history(case_id)[-1].text) == "after the key went"


def test_a_hot_case_reads_its_key_once_while_nothing_else_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CaseDesk.open(str(tmp_path / "cases.sqlite"), cache=16) as desk:
        case_id = _case(desk)
        desk.add_note(case_id, text="first", by=AGENT, occurred_at=T)  # seen, and kept
        reads: list[str] = []
        select = desk._keys._select
        monkeypatch.setattr(desk._keys, "_select", lambda *a: reads.append(a[0]) or select(*a))
        for n in range(3):
            desk.add_note(case_id, text=f"note {n}", by=AGENT, occurred_at=T)
        assert reads == []  # the kept key: nothing committed but this desk's commands
        with CaseDesk.open(str(tmp_path / "cases.sqlite")) as other:
            other.add_note(case_id, text="from elsewhere", by=AGENT, occurred_at=T)
        desk.add_note(case_id, text="after", by=AGENT, occurred_at=T)
        assert reads == ["key_id"]  # another connection committed: read again


def test_a_desk_without_a_cache_reads_the_key_each_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CaseDesk.open(str(tmp_path / "cases.sqlite")) as desk:
        case_id = _case(desk)
        reads: list[str] = []
        select = desk._keys._select
        monkeypatch.setattr(desk._keys, "_select", lambda *a: reads.append(a[0]) or select(*a))
        for n in range(2):
            desk.add_note(case_id, text=f"note {n}", by=AGENT, occurred_at=T)
        assert reads == ["key_id", "key_id"]
        assert desk._keys._ciphers == {}  # nothing kept that no sighting vouches for
