"""A hot case's commands share one sealer (``CaseSealer.of``) while the store stands as
it stood when its key was read: never across another connection's commit, another
customer or key, or a key this desk destroyed."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from casehistory import CaseDesk
from casehistory.domain.sealed import Sealed
from casehistory.events import NoteAdded
from tests.unit._personal import AGENT, T
from tests.unit._personal import case as _case


def _sealed_under(desk: CaseDesk, case_id: UUID) -> str:
    note = desk.history(case_id)[-1]
    assert isinstance(note, NoteAdded)
    assert isinstance(note.text, Sealed)
    return note.text.key_id


def _note(desk: CaseDesk, case_id: UUID, text: str) -> None:
    desk.add_note(case_id, text=text, by=AGENT, occurred_at=T)


def test_a_hot_case_keeps_its_sealer_until_another_connection_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "cases.sqlite")
    with CaseDesk.open(path, cache=16) as desk:
        case_id = _case(desk)
        _note(desk, case_id, "first")
        kept = desk._keys._sealer
        assert kept is not None
        reads: list[str] = []
        select = desk._keys._select
        monkeypatch.setattr(desk._keys, "_select", lambda *a: reads.append(a[0]) or select(*a))
        _note(desk, case_id, "second")
        assert desk._keys._sealer is kept
        assert reads == []
        with CaseDesk.open(path) as other:
            _note(other, case_id, "from elsewhere")
        _note(desk, case_id, "after")
        assert desk._keys._sealer is not kept
        assert reads == ["key_id"]
        assert str(desk.history(case_id)[-1].text) == "after"


def test_another_customers_case_takes_a_sealer_of_its_own(tmp_path: Path) -> None:
    with CaseDesk.open(str(tmp_path / "cases.sqlite"), cache=16) as desk:
        first = _case(desk, "C-1", "Ann Able")
        second = _case(desk, "C-2", "Bob Baker")
        _note(desk, first, "one")
        _note(desk, second, "two")
        assert _sealed_under(desk, first) != _sealed_under(desk, second)
        assert str(desk.history(second)[-1].text) == "two"
        assert str(desk.history(first)[-1].text) == "one"


def test_a_key_this_desk_destroyed_drops_the_kept_sealer(tmp_path: Path) -> None:
    # Its own commit does not change the data_version of its own connection: the
    # destruction itself must drop what it kept.
    with CaseDesk.open(str(tmp_path / "cases.sqlite"), cache=16) as desk:
        case_id = _case(desk)
        _note(desk, case_id, "kept key")
        old_key = _sealed_under(desk, case_id)
        assert desk._keys._sealer is not None
        assert desk._keys.destroy("C-1")
        assert desk._keys._sealer is None
        _note(desk, case_id, "after the key went")
        assert _sealed_under(desk, case_id) != old_key  # a new key, read afresh
        assert str(desk.history(case_id)[-1].text) == "after the key went"
