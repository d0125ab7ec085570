"""``casehistory list`` on the catalog, and ``casehistory catalog status``, ``rebuild``
and ``follow``, on SQLite (the follower's own tests, and PostgreSQL, are in
tests/integration/test_catalog_follow.py).

``list`` opens the store read-only: it is checked against the catalog of a writable
desk on a copy of the store, in the three states a reader meets (no catalog yet, a
catalog behind the log, a catalog up to date), filter by filter and page by page.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Direction,
    EscalationTarget,
    Fault,
    Money,
    Role,
    Status,
    SteppingClock,
)
from casehistory.catalog._schema import (
    _POSTGRES_TYPES,
    _SQLITE_TYPES,
    CASE_COLUMNS,
    LEDGER_ENTRY_COLUMNS,
    MONEY_COLUMNS,
)
from casehistory.cli import main
from casehistory.stories import STORIES

AGENT = Actor("a.lee", Role.AGENT)
OTHER = Actor("b.kim", Role.AGENT)
SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATES = ["no catalog", "behind", "up to date"]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})


def listed(db: Path, *args: str) -> dict[str, Any]:
    result = run("list", "--json", *args, "--db", str(db))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def ids(data: dict[str, Any]) -> list[UUID]:
    return [UUID(row["case_id"]) for row in data["rows"]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables(path: Path) -> list[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    conn.close()
    return sorted(name for (name,) in found)


def more_cases(desk: CaseDesk, start: int, count: int) -> list[UUID]:
    """Cases of every kind the filters tell apart, opened a day apart from ``start``."""
    opened = []
    for n in range(start, start + count):
        at = T0 + timedelta(days=n)
        channel = list(Channel)[n // 2 % len(Channel)]
        case_id = desk.open_case(
            customer=Customer(f"C-{n % 4}", ["Ana Ortiz", "Bo Lind", "Cy Park", "Di Xu"][n % 4]),
            subject=["parcel lost", "refund late", "screen cracked"][n % 3] + f" #{n}",
            channel=channel,
            by=AGENT,
            occurred_at=at,
        )
        opened.append(case_id)
        if n % 5 == 0:
            continue  # left NEW
        desk.assign_agent(case_id, agent=[AGENT, OTHER][n % 4 // 2], by=AGENT, occurred_at=at)
        if n % 5 == 2:
            desk.record_payment(
                case_id, amount=Money("40.00", "EUR"), reference="P", by=AGENT, occurred_at=at
            )
            desk.place_hold(
                case_id,
                amount=Money("10.00", "EUR"),
                account="acct",
                reference=f"H-{n}",
                reason="check",
                by=AGENT,
                occurred_at=at,
            )
        if n % 7 == 5:
            desk.transfer_case(
                case_id, to_department="Billing", reason="money", by=AGENT, occurred_at=at
            )
        kind = n % 6
        later = at + timedelta(hours=2)
        if kind in (1, 4):
            desk.log_contact(
                case_id,
                channel=Channel.EMAIL,
                direction=Direction.OUTBOUND,
                summary="asked for photos",
                by=AGENT,
                occurred_at=later,
                awaiting_reply=True,
            )
        elif kind == 3:
            desk.request_escalation(
                case_id,
                to=[EscalationTarget.SUPERVISOR, EscalationTarget.MANAGER][n % 12 // 6],
                reason="stuck",
                by=AGENT,
                occurred_at=later,
            )
        elif kind == 0:
            desk.resolve_case(
                case_id,
                resolution="done",
                fault=[Fault.OURS, Fault.VENDOR][n % 12 // 6],
                by=AGENT,
                occurred_at=later,
            )
            desk.close_case(case_id, by=AGENT, occurred_at=later + timedelta(hours=1))
    return opened


def copy(source: Path, target: Path) -> Path:
    """A copy of the store as it stands (its WAL included), for a writable desk to answer
    what the store's own catalog would, without writing the store."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return target


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same cases in three stores: without a catalog, with one behind, with one up to
    date; and, for each, a copy whose writable desk gives the expected answers."""
    folder = tmp_path_factory.mktemp("catalog-cli")
    made: dict[str, Path] = {}
    for state in STATES:
        path = folder / f"{state.replace(' ', '-')}.sqlite"
        desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
        try:
            for story in STORIES:
                story.tell(desk)
            early = more_cases(desk, 0, 14)
            if state != "no catalog":
                desk.catalog.catch_up()
            # Old cases touched, and new ones opened, after the catalog of "behind"
            # (dated after the last of them opened: nothing but a payment or a contact
            # precedes its case's opening).
            touched = T0 + timedelta(days=14)
            for case_id in early[1::3]:
                desk.add_note(case_id, text="later", by=AGENT, occurred_at=touched)
            desk.resolve_case(
                early[1], resolution="late", fault=Fault.CUSTOMER, by=AGENT, occurred_at=touched
            )
            more_cases(desk, 14, 9)
            if state == "up to date":
                desk.catalog.catch_up()
        finally:
            desk.close()
        made[state] = path
        made[f"{state} (expected)"] = copy(path, folder / f"expected-{path.name}")
    return made


@pytest.fixture(scope="module")
def expected(stores: dict[str, Path]) -> Iterator[dict[str, CaseDesk]]:
    desks = {state: CaseDesk.open(stores[f"{state} (expected)"]) for state in STATES}
    yield desks
    for desk in desks.values():
        desk.close()


# Each: the options of `list`, and the same question as keyword arguments of the catalog.
FILTERS: list[tuple[list[str], dict[str, Any]]] = [
    ([], {}),
    (["--status", "closed"], {"status": Status.CLOSED}),
    (["--status", "NEW", "--status", "OPEN"], {"status": [Status.NEW, Status.OPEN]}),
    (["--fault", "VENDOR"], {"fault": Fault.VENDOR}),
    (["--channel", "EMAIL", "--channel", "chat"], {"channel": [Channel.EMAIL, Channel.CHAT]}),
    (["--customer", "C-1"], {"customer": "C-1"}),
    (["--agent", "b.kim"], {"agent": "b.kim"}),
    (["--department", "Customer Service"], {"department": "Customer Service"}),
    (
        ["--opened-since", "2026-03-05", "--opened-until", "2026-03-09"],
        {
            "opened": (
                datetime(2026, 3, 5, tzinfo=UTC),
                datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=UTC),
            )
        },
    ),
    (
        ["--closed-since", "2026-03-01T00:00:00Z"],
        {"closed": (datetime(2026, 3, 1, tzinfo=UTC), None)},
    ),
    (
        ["--closed-until", "2026-06-01"],
        {"closed": (None, datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=UTC))},
    ),
    (
        ["--idle-since", "2026-03-08T12:00:00+00:00"],
        {"idle_since": datetime(2026, 3, 8, 12, tzinfo=UTC)},
    ),
    (["--awaiting", "customer"], {"awaiting": "customer"}),
    (["--pending-approval"], {"pending_approval": True}),
    (["--pending-approval", "manager"], {"pending_approval": EscalationTarget.MANAGER}),
    (["--pending-approval", "none"], {"pending_approval": False}),
    (["--open-holds"], {"open_holds": True}),
    (["--no-open-holds"], {"open_holds": False}),
    (["--text", "refund"], {"text": "refund"}),
    (["--text", "Ana parcel"], {"text": "Ana parcel"}),
    (
        ["--status", "OPEN", "--channel", "PHONE", "--no-open-holds"],
        {"status": Status.OPEN, "channel": Channel.PHONE, "open_holds": False},
    ),
]


def expected_ids(desk: CaseDesk, kwargs: dict[str, Any], order: str = "opened") -> list[UUID]:
    found: list[UUID] = []
    page = desk.catalog.cases(**kwargs, order=order, limit=1000)
    found.extend(row.case_id for row in page.rows)
    assert page.cursor is None
    return found


class TestListFilters:
    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize(
        ("options", "kwargs"), FILTERS, ids=[" ".join(o) or "none" for o, _ in FILTERS]
    )
    def test_answers_what_the_stores_own_catalog_would(
        self,
        stores: dict[str, Path],
        expected: dict[str, CaseDesk],
        state: str,
        options: list[str],
        kwargs: dict[str, Any],
    ) -> None:
        data = listed(stores[state], *options)

        assert ids(data) == expected_ids(expected[state], kwargs)
        assert data["behind"] == 0
        assert data["cursor"] is None

    def test_every_filter_selects_some_and_not_all(
        self, stores: dict[str, Path], expected: dict[str, CaseDesk]
    ) -> None:
        # The examples above would prove little if a filter matched nothing, or all.
        everything = len(expected_ids(expected["behind"], {}))
        for _, kwargs in FILTERS[1:]:
            assert 0 < len(expected_ids(expected["behind"], kwargs)) < everything, kwargs

    @pytest.mark.parametrize("state", STATES)
    def test_rows_carry_the_catalogs_columns_and_money_as_strings(
        self, stores: dict[str, Path], expected: dict[str, CaseDesk], state: str
    ) -> None:
        data = listed(stores[state], "--open-holds")

        rows = {row["case_id"]: row for row in data["rows"]}
        for case_id, row in rows.items():
            want = expected[state].catalog.case(UUID(case_id))
            assert want is not None
            assert row["version"] == want.version
            assert row["status"] == want.status
            assert row["opened_at"] == want.opened_at.isoformat()
            assert row["money"][0]["held"] == str(want.money[0].held)
            assert isinstance(row["money"][0]["on_hold"], str)
        assert set(CASE_COLUMNS_NAMES) <= set(next(iter(rows.values())))


CASE_COLUMNS_NAMES = [name for name, _, _ in CASE_COLUMNS]


class TestListPaging:
    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize("order", ["opened", "-opened"])
    @pytest.mark.parametrize("limit", ["1", "4", "7"])
    def test_pages_join_into_the_whole_listing_without_gap_or_repeat(
        self,
        stores: dict[str, Path],
        expected: dict[str, CaseDesk],
        state: str,
        order: str,
        limit: str,
    ) -> None:
        seen: list[UUID] = []
        data = listed(stores[state], "--limit", limit, f"--order={order}")
        while True:
            assert len(data["rows"]) <= int(limit)
            seen.extend(ids(data))
            if data["cursor"] is None:
                break
            data = listed(
                stores[state], "--limit", limit, f"--order={order}", "--after", data["cursor"]
            )

        assert seen == expected_ids(expected[state], {}, order)

    def test_a_cursor_pages_a_filtered_listing(
        self, stores: dict[str, Path], expected: dict[str, CaseDesk]
    ) -> None:
        first = listed(stores["behind"], "--status", "NEW", "--limit", "2")
        rest = listed(stores["behind"], "--status", "NEW", "--after", first["cursor"])

        assert ids(first) + ids(rest) == expected_ids(expected["behind"], {"status": Status.NEW})
        assert rest["cursor"] is None

    def test_the_table_says_where_the_next_page_starts(self, stores: dict[str, Path]) -> None:
        result = run("list", "--limit", "2", "--db", str(stores["up to date"]))

        assert result.exit_code == 0
        [cursor] = re.findall(r"^next page: --after (\S+)$", result.stderr, re.M)
        assert listed(stores["up to date"], "--limit", "2")["cursor"] == cursor


class TestAReadOnlyReader:
    def test_says_on_stderr_what_it_folded_and_writes_nothing(
        self, stores: dict[str, Path]
    ) -> None:
        store = stores["behind"]
        before, tables_before = sha256(store), tables(store)

        result = run("list", "--db", str(store))
        data = listed(store)

        assert result.exit_code == 0
        assert re.search(
            r"note: the catalog is \d+ behind the log .* folded those events", result.stderr
        )
        assert data["folded"] == data["head"] - data["position"] > 0
        assert data["behind"] == 0
        assert (sha256(store), tables(store)) == (before, tables_before)

    def test_on_a_store_without_a_catalog_creates_none(self, stores: dict[str, Path]) -> None:
        store = stores["no catalog"]

        result = run("list", "--db", str(store))

        assert result.exit_code == 0
        assert "this store has no catalog yet" in result.stderr
        assert not [name for name in tables(store) if name.startswith("catalog")]

    def test_with_fold_0_answers_from_the_catalog_and_says_how_far_behind(
        self, stores: dict[str, Path], expected: dict[str, CaseDesk]
    ) -> None:
        store = stores["behind"]

        result = run("list", "--fold", "0", "--db", str(store))
        data = listed(store, "--fold", "0")

        assert result.exit_code == 0
        assert data["behind"] == data["head"] - data["position"] > 0
        assert data["folded"] == 0
        assert re.search(
            r"note: the catalog is \d+ behind the log .* does not count", result.stderr
        )
        assert len(data["rows"]) < len(expected_ids(expected["behind"], {}))

    def test_an_up_to_date_catalog_needs_no_note(self, stores: dict[str, Path]) -> None:
        result = run("list", "--db", str(stores["up to date"]))

        assert (result.exit_code, result.stderr) == (0, "")

    def test_the_table_keeps_its_columns(self, stores: dict[str, Path]) -> None:
        result = run("list", "--status", "CLOSED", "--db", str(stores["up to date"]))

        header = result.stdout.strip().splitlines()[0].split()
        assert header == ["case", "status", "fault", "customer", "subject", "events"]
        assert "Renata Kowalczyk" in result.stdout


BAD_LIST_ARGUMENTS = [
    ["--status", "BOGUS"],
    ["--fault", ""],
    ["--channel", "FAX"],
    ["--awaiting", "god"],
    ["--pending-approval", "PRESIDENT"],
    ["--order", "closed"],
    ["--limit", "0"],
    ["--limit", "1001"],
    ["--limit", "ten"],
    ["--fold", "-1"],
    ["--opened-since", "yesterday"],
    ["--opened-since", "2026-03-05T10:00"],
    ["--idle-since", "2026-13-01"],
    ["--opened-since", "2026-03-09", "--opened-until", "2026-03-05"],
    ["--closed-since", "2026-03-09T00:00Z", "--closed-until", "2026-03-08T00:00Z"],
    ["--text", "!!!"],
    ["--text", ""],
    ["--after", "garbage"],
    ["--after", ""],
    ["--after", "A" * 5000],
    ["--after", "WyJvcGVuZWQiLCAieCIsICJ5Il0"],  # ["opened", "x", "y"]
    ["--after", "\x1b]8;;https://evil.example\x1b\\"],
]


class TestBadInput:
    @pytest.mark.parametrize("args", BAD_LIST_ARGUMENTS, ids=repr)
    def test_list_is_a_usage_error_in_one_line(
        self, stores: dict[str, Path], args: list[str]
    ) -> None:
        result = run("list", *args, "--db", str(stores["behind"]))

        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error")]
        assert len(errors) == 1
        assert "\x1b" not in result.output

    def test_a_cursor_of_the_other_order_is_refused(self, stores: dict[str, Path]) -> None:
        cursor = listed(stores["behind"], "--limit", "1")["cursor"]

        result = run("list", "--order=-opened", "--after", cursor, "--db", str(stores["behind"]))

        assert result.exit_code == 2
        assert "with the same --order" in result.output

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        text=st.text(max_size=30),
        customer=st.text(max_size=12).filter(lambda c: not c.startswith(("C-", "CUST-"))),
    )
    def test_any_text_or_id_is_answered(
        self, stores: dict[str, Path], text: str, customer: str
    ) -> None:
        result = run(
            "list", "--json", "--text", text, "--customer", customer, "--db", str(stores["behind"])
        )

        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            assert json.loads(result.stdout)["rows"] == []  # no customer id is text like that
        else:
            assert "holds no word" in result.output

    @pytest.mark.parametrize(
        "args",
        [
            ["catalog", "status", "--max-behind", "-1"],
            ["catalog", "follow", "--batch", "0"],
            ["catalog", "follow", "--batch", "10001"],
            ["catalog", "follow", "--poll", "0"],
            ["catalog", "rebuild", "--now"],
            ["catalog", "purge"],
        ],
        ids=" ".join,
    )
    def test_catalog_verbs_are_usage_errors_in_one_line(
        self, tmp_path: Path, args: list[str]
    ) -> None:
        result = run(*args, "--db", str(tmp_path / "c.sqlite"))

        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    try:
        for story in STORIES:
            story.tell(desk)
    finally:
        desk.close()
    return path


def status(store: Path) -> dict[str, Any]:
    result = run("catalog", "status", "--json", "--db", str(store))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


class TestCatalogVerbs:
    def test_status_of_a_store_without_a_catalog_reads_only(self, store: Path) -> None:
        before = sha256(store)

        result = run("catalog", "status", "--db", str(store))

        assert result.exit_code == 0
        assert result.stdout.splitlines() == [
            "catalog   none yet (`casehistory catalog rebuild` makes it)",
            "position  0",
            "head      84",
            "behind    84",
        ]
        assert status(store) == {"exists": False, "position": 0, "head": 84, "behind": 84}
        assert sha256(store) == before

    def test_status_max_behind_is_for_monitoring(self, store: Path) -> None:
        over = run("catalog", "status", "--max-behind", "83", "--db", str(store))
        within = run("catalog", "status", "--max-behind", "84", "--db", str(store))

        assert over.exit_code == 1
        assert (
            over.output.splitlines()[-1] == "Error: the catalog is 84 behind the log, more than 83"
        )
        assert within.exit_code == 0

    def test_rebuild_makes_it_and_says_what_it_did(self, store: Path) -> None:
        result = run("catalog", "rebuild", "--db", str(store))

        assert result.exit_code == 0, result.output
        assert re.fullmatch(
            r"rebuilt the catalog: 84 events applied in \d+\.\d\d s; at position 84 "
            r"\(the log's head: 84\)\n",
            result.output,
        )
        assert status(store) == {"exists": True, "position": 84, "head": 84, "behind": 0}
        assert run("catalog", "rebuild", "--db", str(store)).exit_code == 0  # again: the same

    def test_follow_once_applies_everything_and_exits(self, store: Path) -> None:
        result = run("catalog", "follow", "--once", "--batch", "10", "-v", "--db", str(store))

        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0] == "batch 1: 10 events, position 10"
        assert lines[-2] == "batch 9: 4 events, position 84"
        assert lines[-1] == (
            "applied 84 events in 9 batches; the catalog is at position 84 (the log's head: 84)"
        )
        assert status(store)["behind"] == 0
        again = run("catalog", "follow", "--once", "--db", str(store))
        assert again.output.startswith("applied 0 events in 0 batches")

    @pytest.mark.parametrize("verb", ["status", "rebuild", "follow"])
    def test_a_mistyped_path_is_an_error_and_no_store_appears(
        self, tmp_path: Path, verb: str
    ) -> None:
        result = run("catalog", verb, "--db", str(tmp_path / "csaes.sqlite"))

        assert result.exit_code == 2
        assert result.output.startswith("Error: no store at ")
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize("verb", ["status", "rebuild", "follow"])
    def test_another_applications_file_is_refused_unchanged(
        self, tmp_path: Path, verb: str
    ) -> None:
        theirs = tmp_path / "theirs.db"
        with sqlite3.connect(theirs) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        conn.close()
        before = sha256(theirs)

        result = run("catalog", verb, "--db", str(theirs))

        assert result.exit_code == 1
        assert "is not a casehistory store" in result.output
        assert len(result.output.splitlines()) == 1
        assert sha256(theirs) == before
        assert tables(theirs) == ["invoices"]

    def test_list_after_a_rebuild_reads_the_catalog_alone(self, store: Path) -> None:
        run("catalog", "rebuild", "--db", str(store))

        data = listed(store, "--status", "CLOSED")

        assert (data["folded"], data["behind"], len(data["rows"])) == (0, 0, 3)


def test_the_catalog_page_lists_every_column_with_its_types() -> None:
    page = (Path(__file__).parents[2] / "docs" / "catalog.md").read_text()
    for table, columns in (
        ("catalog_cases", CASE_COLUMNS),
        ("catalog_money", MONEY_COLUMNS),
        ("catalog_ledger", LEDGER_ENTRY_COLUMNS),
    ):
        section = page.split(f"\n### {table}\n", 1)[1].split("\n### ", 1)[0]
        listed = re.findall(r"^\| `(\w+)` \| `(\w+)` \| `(\w+)` \|(.*)$", section, re.M)
        assert [name for name, *_ in listed] == [name for name, _, _ in columns], table
        for (name, kind, nullable), (_, sqlite, postgres, meaning) in zip(
            columns, listed, strict=True
        ):
            assert (sqlite, postgres) == (_SQLITE_TYPES[kind], _POSTGRES_TYPES[kind]), name
            assert ("null" in meaning) == nullable, f"{table}.{name}: say when it is null"
