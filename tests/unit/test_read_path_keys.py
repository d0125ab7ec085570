"""A key store keeps the cipher of the last key it opened a text with, never a text: a
key destroyed (by this desk, or by another on the same store) makes its texts read as
erased at the next open, and a key whose bytes changed is used with its new bytes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.desk._keys import KEY_TABLE, KeyStore, _b64, _unb64
from casehistory.domain.sealed import ERASED, Sealed, shown
from casehistory.errors import StoreUnavailable

AGENT = Actor("a.lee", Role.AGENT)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _desk(path: str) -> CaseDesk:
    return CaseDesk.open(path, clock=SteppingClock(datetime(2026, 6, 1, tzinfo=UTC)))


def _notes(desk: CaseDesk, customer: str) -> list[Sealed]:
    case_id = desk.open_case(
        customer=Customer(customer, "Dana Smith"),
        subject="power supply failed",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=AT,
    )
    for n in range(3):
        desk.add_note(case_id, text=f"note {n}", by=AGENT, occurred_at=AT)
    texts = [e.text for e in desk.history(case_id) if hasattr(e, "text")]
    assert all(isinstance(t, Sealed) for t in texts)
    return texts


@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_a_key_destroyed_here_erases_its_texts_at_the_next_open(tmp_path: Path, where: str) -> None:
    desk = _desk(":memory:" if where == "memory" else str(tmp_path / "k.sqlite"))
    dana, lee = _notes(desk, "c-1"), _notes(desk, "c-2")
    assert [shown(t) for t in dana] == ["note 0", "note 1", "note 2"]
    assert shown(lee[0]) == "note 0"
    assert shown(dana[0]) == "note 0"  # the last key opened is dana's again
    keys: KeyStore = desk._keys
    assert keys.destroy("c-1")
    assert [shown(t) for t in dana] == [ERASED] * 3
    assert [shown(t) for t in lee] == ["note 0", "note 1", "note 2"]
    desk.close()


def test_a_key_destroyed_by_another_desk_erases_its_texts_at_the_next_open(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "k.sqlite")
    desk = _desk(path)
    dana = _notes(desk, "c-1")
    assert shown(dana[1]) == "note 1"  # its cipher is kept
    other = _desk(path)
    assert other._keys.destroy("c-1")
    other.close()
    assert [shown(t) for t in dana] == [ERASED] * 3
    assert desk._keys._opener is None  # nor are the bytes of the destroyed key kept
    desk.close()


def test_a_key_whose_bytes_changed_is_read_with_its_new_bytes(tmp_path: Path) -> None:
    path = str(tmp_path / "k.sqlite")
    desk = _desk(path)
    dana = _notes(desk, "c-1")
    assert shown(dana[0]) == "note 0"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(f"UPDATE {KEY_TABLE} SET key = ?", (bytes(32),))
    with pytest.raises(StoreUnavailable, match="does not open with that key"):
        shown(dana[0])
    desk.close()


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe\xfd", bytes(range(256)) * 3])
def test_unb64_reads_what_b64_writes(data: bytes) -> None:
    assert _unb64(_b64(data)) == data


@pytest.mark.parametrize("text", ["abc\u00e9", "a*b", "abcde"])
def test_unb64_refuses_what_the_base64_module_refuses(text: str) -> None:
    import base64
    import binascii

    with pytest.raises((ValueError, binascii.Error)):
        base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    with pytest.raises((ValueError, binascii.Error)):
        _unb64(text)


def test_a_key_read_while_this_desk_destroys_one_is_used_but_not_kept() -> None:
    desk = _desk(":memory:")
    dana = _notes(desk, "c-1")
    keys: KeyStore = desk._keys
    keys._forget_kept()  # a destruction starts (another thread's)
    assert shown(dana[0]) == "note 0"  # the key is still there: the text opens
    assert keys._opener is None  # but its cipher is not kept
    keys._forget_kept()  # and ends
    assert shown(dana[0]) == "note 0"
    assert keys._opener is not None
    desk.close()
