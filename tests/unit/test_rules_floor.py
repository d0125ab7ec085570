"""The store's floor of rules versions, attacked from beneath the desk: a new case
written with no rules version (held to rules 1, the loosest) after the store took rules
2 is refused every command and reported by ``verify --rules``, on SQLite, PostgreSQL
and the in-process store; deleting the floor's table or row hides nothing."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.audit.rules import verify_rules
from casehistory.desk._rules_floor import FLOOR_TABLE, recorded_floors
from casehistory.domain.case import Case
from casehistory.errors import RulesBelowFloor, RulesNewerThanDesk
from casehistory.store import register_value_transcodings, store_env

AGENT = Actor("a.lee", Role.AGENT)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIXTURE = Path(__file__).parents[1] / "fixtures" / "store-0.1.0.sqlite"


class _Beneath(Application[UUID]):
    """eventsourcing's own save on the desk's store: code with the store's rights."""

    name = "CaseDesk"

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)


def _forge_rules_1_case(location: str, *, rules: int | None = None) -> UUID:
    """A new case with a correct digest but no rules version, saved beneath the desk."""
    app = _Beneath({**store_env(location), "IS_SNAPSHOTTING_ENABLED": "n"})
    case = Case.open(
        customer=Customer("C-9", "Forged Customer"),
        subject="opened beneath the desk",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
        recorded_at=MONDAY + timedelta(days=300),
        rules=rules,
    )
    app.save(case)
    app.close()
    return case.id


def _desk(location: str) -> CaseDesk:
    return CaseDesk.open(location, clock=SteppingClock(MONDAY + timedelta(days=400)))


def _open_honest_case(desk: CaseDesk) -> UUID:
    return desk.open_case(
        customer=Customer("C-1", "Dana Whitfield"),
        subject="honest",
        channel=Channel.EMAIL,
        by=AGENT,
        occurred_at=MONDAY,
    )


def _unlawful(desk: CaseDesk) -> dict[UUID, list[str]]:
    """The findings of ``verify --rules`` on cases (those on the store: :func:`_on_store`)."""
    found: dict[UUID, list[str]] = {}
    for f in verify_rules(desk).findings:
        if f.case_id is not None:
            found.setdefault(f.case_id, []).append(f.detail)
    return found


def _on_store(desk: CaseDesk) -> list[str]:
    return [f.detail for f in verify_rules(desk).findings if f.case_id is None]


def _refused_every_command(desk: CaseDesk, case_id: UUID) -> None:
    version = len(desk.history(case_id))
    with pytest.raises(RulesBelowFloor, match=r"rules 1 .*rules 2"):
        desk.add_note(case_id, text="looser rules?", by=AGENT, occurred_at=MONDAY)
    with pytest.raises(RulesBelowFloor):
        desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    assert len(desk.history(case_id)) == version  # nothing recorded


def test_a_case_forged_after_the_floor_is_refused_and_reported(tmp_path: Path) -> None:
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)  # a writer desk claims the floor at the (empty) log's head
    honest = _open_honest_case(desk)
    desk.close()
    forged = _forge_rules_1_case(location)

    desk = _desk(location)
    _refused_every_command(desk, forged)
    desk.add_note(honest, text="still served", by=AGENT, occurred_at=MONDAY)
    found = _unlawful(desk)
    assert list(found) == [forged]
    assert "held to rules 1" in found[forged][0]
    desk.close()


def test_deleting_the_floor_hides_nothing(tmp_path: Path) -> None:
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)
    _open_honest_case(desk)
    desk.close()
    forged = _forge_rules_1_case(location)
    with sqlite3.connect(location) as connection:
        connection.execute(f"DROP TABLE {FLOOR_TABLE}")

    desk = _desk(location)  # lost, not claimed again: where it stood is unknown
    assert recorded_floors(desk._recorder) == []
    assert [(f.rules, f.after_position, f.lost) for f in desk._floors] == [(2, 0, True)]
    _refused_every_command(desk, forged)
    assert list(_unlawful(desk)) == [forged]
    (missing,) = _on_store(desk)
    assert f"{FLOOR_TABLE}) has no row of rules 2" in missing
    desk.close()

    with sqlite3.connect(location) as connection:  # a floor no one can read: the order
        connection.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        connection.execute(f"CREATE TABLE {FLOOR_TABLE} (rules TEXT, moved TEXT)")
    reader = CaseDesk.open(location, read_only=True)
    found = _unlawful(reader)
    assert list(found) == [forged]
    assert "after case" in found[forged][0]
    (unreadable,) = _on_store(reader)
    assert f"cannot read the store's floor of rules ({FLOOR_TABLE})" in unreadable
    reader.close()


def test_a_floor_row_deleted_from_an_upgraded_store_is_lost_until_restored(
    tmp_path: Path,
) -> None:
    """A store of 0.1.0, upgraded; its floor's row is deleted and a rules-1 case forged.
    No desk claims the row again (at the head it would stand above the forgery): every
    case held to rules 1 is refused, the old honest ones too, until an operator puts
    the row back where it stood; then the old cases are served and the forgery still
    refused."""
    location = str(tmp_path / "old.sqlite")
    shutil.copy(FIXTURE, location)
    desk = _desk(location)
    old = sorted(desk.case_ids())[0]
    (floor,) = recorded_floors(desk._recorder)
    desk.close()
    forged = _forge_rules_1_case(location)
    with sqlite3.connect(location) as connection:
        connection.execute(f"DELETE FROM {FLOOR_TABLE}")

    for _ in range(2):  # and again: a lost floor is not claimed by the next desk either
        desk = _desk(location)
        with pytest.raises(RulesBelowFloor, match=f"rules 2 in {FLOOR_TABLE} is missing"):
            desk.reopen_case(old, reason="old rules", by=AGENT, occurred_at=MONDAY)
        _refused_every_command(desk, forged)
        assert forged in _unlawful(desk)
        desk.close()
    with sqlite3.connect(location) as connection:
        (rows,) = connection.execute(f"SELECT COUNT(*) FROM {FLOOR_TABLE}").fetchone()
        assert rows == 0
        connection.execute(
            f"INSERT INTO {FLOOR_TABLE} VALUES (?, ?)", (floor.rules, floor.after_position)
        )

    desk = _desk(location)
    desk.reopen_case(old, reason="old rules, served again", by=AGENT, occurred_at=MONDAY)
    _refused_every_command(desk, forged)
    assert list(_unlawful(desk)) == [forged]
    assert _on_store(desk) == []
    desk.close()


def test_a_floor_row_deleted_from_an_empty_store_is_claimed_again(tmp_path: Path) -> None:
    location = str(tmp_path / "cases.sqlite")
    _desk(location).close()
    with sqlite3.connect(location) as connection:
        connection.execute(f"DELETE FROM {FLOOR_TABLE}")
    desk = _desk(location)  # nothing can lie below the head of an empty log
    assert [(f.rules, f.after_position) for f in recorded_floors(desk._recorder)] == [(2, 0)]
    desk.close()


def test_a_desk_below_a_newer_floor_opens_no_case_but_serves_its_own(tmp_path: Path) -> None:
    """A newer release (rules 3) claimed its floor; a desk of this release still serves
    the cases opened before it under rules 2, and refuses to open one after it
    (RulesNewerThanDesk, nothing recorded) rather than write a case that every desk
    would then refuse as below the floor."""
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)
    honest = _open_honest_case(desk)
    desk.close()
    with sqlite3.connect(location) as connection:
        (head,) = connection.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
        connection.execute(f"INSERT INTO {FLOOR_TABLE} VALUES (3, ?)", (head,))

    desk = _desk(location)
    with pytest.raises(RulesNewerThanDesk, match=r"rules 2, but the store took rules 3"):
        _open_honest_case(desk)
    with sqlite3.connect(location) as connection:
        (after,) = connection.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
    assert after == head
    desk.add_note(honest, text="opened before the newer floor", by=AGENT, occurred_at=MONDAY)
    desk.close()


def test_the_floor_stays_where_the_store_took_it(tmp_path: Path) -> None:
    """Cases of 0.1.0 (no rules version) stay lawful and served after the upgrade; a
    later desk does not move the floor above them, nor above what came after."""
    location = str(tmp_path / "old.sqlite")
    shutil.copy(FIXTURE, location)
    with sqlite3.connect(location) as connection:
        (head,) = connection.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
    desk = _desk(location)
    old = sorted(desk.case_ids())[0]
    floors = recorded_floors(desk._recorder)
    assert [(f.rules, f.after_position) for f in floors] == [(2, head)]
    desk.reopen_case(old, reason="an old case, its old rules", by=AGENT, occurred_at=MONDAY)
    _open_honest_case(desk)
    desk.close()
    desk = _desk(location)
    assert [(f.rules, f.after_position) for f in recorded_floors(desk._recorder)] == [(2, head)]
    assert _unlawful(desk) == {}
    desk.close()


def test_a_read_only_desk_claims_no_floor(tmp_path: Path) -> None:
    location = str(tmp_path / "old.sqlite")
    shutil.copy(FIXTURE, location)
    reader = CaseDesk.open(location, read_only=True)
    assert recorded_floors(reader._recorder) == []
    reader.close()
    with sqlite3.connect(location) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    assert FLOOR_TABLE not in tables


def test_the_in_process_store_has_a_floor_too() -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(MONDAY + timedelta(days=400)))
    _open_honest_case(desk)
    case = Case.open(
        customer=Customer("C-9", "Forged Customer"),
        subject="beneath",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
        recorded_at=MONDAY + timedelta(days=300),
        rules=None,
    )
    desk._store.save(case)  # what code holding the desk's store can do
    _refused_every_command(desk, case.id)
    assert list(_unlawful(desk)) == [case.id]


def test_postgres_floor(postgres_url: str) -> None:
    desk = _desk(postgres_url)
    _open_honest_case(desk)
    desk.close()
    forged = _forge_rules_1_case(postgres_url)
    desk = _desk(postgres_url)
    _refused_every_command(desk, forged)
    assert list(_unlawful(desk)) == [forged]
    desk.close()


def test_a_case_opened_under_the_floors_rules_is_served(tmp_path: Path) -> None:
    """The floor refuses what is below it, not what is forged: a case written beneath the
    desk *with* the current rules is the chain's and the rules' business."""
    location = str(tmp_path / "cases.sqlite")
    _desk(location).close()
    forged = _forge_rules_1_case(location, rules=2)
    desk = _desk(location)
    desk.add_note(forged, text="rules 2", by=AGENT, occurred_at=MONDAY + timedelta(days=301))
    assert forged not in _unlawful(desk)
    assert uuid4() not in _unlawful(desk)
    desk.close()
