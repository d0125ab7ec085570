"""Issue 12: a policy's id and version are bound to its parameters.

Attacks through the public API and through SQL on a SQLite store. Each failed on
dcc728a, where a version was only a label: a desk reopened with a 10-day window still
called ``return-window v1`` recorded a second, opposite ``return-window v1`` decision.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import sqlite3
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from casehistory import CaseDesk, EntitlementKind, Policies, ReturnWindowPolicy
from casehistory.audit.rules import verify_rules
from casehistory.domain.limits import policy_digest
from casehistory.errors import PolicyVersionConflict


def _load_builders() -> ModuleType:
    name = "casehistory_unit_builders"
    if name not in sys.modules:
        path = Path(__file__).with_name("_builders.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_b = _load_builders()
file_desk, open_assigned_case, product, check, stored_event_rows = (
    _b.file_desk,
    _b.open_assigned_case,
    _b.product,
    _b.check,
    _b.stored_event_rows,
)
A_DAY_LATER = _b.CLOCK_START.replace(day=2)
A_WEEK_LATER = _b.CLOCK_START.replace(day=8)

TEN_DAYS_STILL_V1 = Policies(return_window=ReturnWindowPolicy(days=10))
TEN_DAYS_V2 = Policies(return_window=ReturnWindowPolicy(days=10, version=2))
BOUGHT = date(2026, 9, 15)  # 16 days before the check: inside 30 days, outside 10


def _decided_case(store: Path) -> object:
    with file_desk(store) as desk:
        case_id = open_assigned_case(desk, with_product=product(BOUGHT))
        check(desk, case_id, EntitlementKind.RETURN_WINDOW)
        return case_id


def _table(store: Path, sql: str, *params: object) -> None:
    connection = sqlite3.connect(store)
    try:
        connection.execute(sql, params)
        connection.commit()
    finally:
        connection.close()


class TestTheFilersReproduction:
    def test_other_parameters_under_a_recorded_version_are_refused_at_open(
        self, tmp_path: Path
    ) -> None:
        store = tmp_path / "cases.sqlite"
        _decided_case(store)
        rows = stored_event_rows(store)

        with pytest.raises(PolicyVersionConflict) as refused:
            file_desk(store, TEN_DAYS_STILL_V1, start=A_DAY_LATER)

        said = str(refused.value)
        mine = policy_digest(TEN_DAYS_STILL_V1.return_window)[:12]
        theirs = policy_digest(ReturnWindowPolicy())[:12]
        assert "return-window v1" in said
        assert mine in said
        assert theirs in said
        assert "new version" in said
        assert stored_event_rows(store) == rows

    def test_a_read_only_desk_with_other_parameters_is_refused_too(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        _decided_case(store)

        with pytest.raises(PolicyVersionConflict, match="return-window v1"):
            CaseDesk.open(store, read_only=True, policies=TEN_DAYS_STILL_V1)

    def test_a_new_version_opens_and_decides_with_its_own_digest(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        case_id = _decided_case(store)

        with file_desk(store, TEN_DAYS_V2, start=A_DAY_LATER) as desk:
            check(desk, case_id, EntitlementKind.RETURN_WINDOW)
            first, second = desk.history(case_id)[-2:]

            assert first.policy_digests == {"return-window v1": policy_digest(ReturnWindowPolicy())}
            assert second.policy_digests == {
                "return-window v2": policy_digest(TEN_DAYS_V2.return_window)
            }
            assert (first.decision.outcome, second.decision.outcome) == ("INSIDE", "OUTSIDE")
            assert verify_rules(desk).ok

    def test_the_same_parameters_reopen(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        case_id = _decided_case(store)

        with file_desk(store, Policies(), start=A_DAY_LATER) as desk:
            check(desk, case_id, EntitlementKind.RETURN_WINDOW)

            assert verify_rules(desk).ok


class TestSqlOnTheTable:
    def test_a_changed_digest_refuses_the_honest_desk_and_verify_reports_the_log(
        self, tmp_path: Path
    ) -> None:
        store = tmp_path / "cases.sqlite"
        _decided_case(store)
        forged = policy_digest(TEN_DAYS_STILL_V1.return_window)
        _table(
            store,
            "UPDATE casedesk_policies SET digest = ? WHERE policy_id = 'return-window'",
            forged,
        )

        with pytest.raises(PolicyVersionConflict):
            file_desk(store, start=A_DAY_LATER)
        with CaseDesk.open(store, read_only=True, policies=TEN_DAYS_STILL_V1) as reader:
            found = verify_rules(reader)

        assert not found.ok
        assert any("return-window v1" in f.detail for f in found.findings), found.findings

    def test_a_deleted_row_lets_a_desk_reclaim_the_version_and_verify_reports_it(
        self, tmp_path: Path
    ) -> None:
        # Decided: deleting a row is an SQL edit, caught by verify, not at open (that
        # would take a scan of the log). The desk that reclaims the version with other
        # parameters disagrees with every decision already recorded under it.
        store = tmp_path / "cases.sqlite"
        case_id = _decided_case(store)
        _table(store, "DELETE FROM casedesk_policies WHERE policy_id = 'return-window'")

        with file_desk(store, TEN_DAYS_STILL_V1, start=A_DAY_LATER) as desk:
            check(desk, case_id, EntitlementKind.RETURN_WINDOW)
            found = verify_rules(desk)

        assert not found.ok
        versions = {f.version for f in found.findings}
        assert 3 in versions or any("return-window v1" in f.detail for f in found.findings)

    def test_an_emptied_table_with_the_same_parameters_is_reclaimed_and_verifies(
        self, tmp_path: Path
    ) -> None:
        store = tmp_path / "cases.sqlite"
        _decided_case(store)
        _table(store, "DELETE FROM casedesk_policies")

        with file_desk(store, start=A_DAY_LATER) as desk:
            assert verify_rules(desk).ok

    def test_a_changed_digest_in_an_event_is_caught(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        _decided_case(store)
        forged = policy_digest(TEN_DAYS_STILL_V1.return_window)
        real = policy_digest(ReturnWindowPolicy())
        _table(
            store,
            "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), ?, ?) AS BLOB)",
            real,
            forged,
        )

        with CaseDesk.open(store, read_only=True) as reader:
            found = verify_rules(reader)

        assert not found.ok


def _open_with(store: str, days: int, barrier: object, results: object) -> None:
    policies = Policies(return_window=ReturnWindowPolicy(days=days))
    barrier.wait()  # type: ignore[attr-defined]
    try:
        CaseDesk.open(store, policies=policies).close()
    except PolicyVersionConflict:
        results.put((days, "refused"))  # type: ignore[attr-defined]
    else:
        results.put((days, "opened"))  # type: ignore[attr-defined]


class TestTwoDesksAtOnce:
    def test_two_processes_with_other_parameters_cannot_both_record(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        file_desk(store).close()
        _table(store, "DELETE FROM casedesk_policies")  # a store no desk has claimed yet
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(2), context.Queue()
        workers = [
            context.Process(target=_open_with, args=(str(store), days, barrier, results))
            for days in (10, 20)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)

        outcomes = sorted(results.get(timeout=10) for _ in workers)
        opened = [days for days, said in outcomes if said == "opened"]
        assert len(opened) == 1, outcomes
        winner = Policies(return_window=ReturnWindowPolicy(days=opened[0]))
        connection = sqlite3.connect(store)
        try:
            (digest,) = connection.execute(
                "SELECT digest FROM casedesk_policies WHERE policy_id = 'return-window'"
            ).fetchone()
        finally:
            connection.close()
        assert digest == policy_digest(winner.return_window)
