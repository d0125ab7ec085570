"""CSV export: a header, then a row per event that says what the audit trail says; text
that a spreadsheet would run as a formula is neutralised; the file reads back with
:mod:`csv` as it was written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import Actor, CaseDesk, Channel, Customer, Money, Role, SteppingClock
from casehistory.audit.export_csv import CSV_COLUMNS, CsvDialect, neutralise, write_csv
from casehistory.stories import STORIES

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def stories_desk() -> tuple[CaseDesk, list[UUID]]:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)
    return desk, list(desk.case_ids())


@pytest.fixture(scope="module")
def stories() -> tuple[CaseDesk, list[UUID]]:
    """A desk holding the five stories, and their case ids in story order."""
    return stories_desk()


def exported(desk: CaseDesk, case_ids: list[UUID]) -> tuple[int, str]:
    out = io.StringIO(newline="")
    written = write_csv(desk, case_ids, out)
    return written, out.getvalue()


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), dialect=CsvDialect))


class TestRows:
    def test_the_first_row_is_the_documented_header(
        self, stories: tuple[CaseDesk, list[UUID]]
    ) -> None:
        _, text = exported(*stories)

        assert rows_of(text)[0] == list(CSV_COLUMNS)

    def test_one_row_per_event_of_each_story_in_version_order(
        self, stories: tuple[CaseDesk, list[UUID]]
    ) -> None:
        desk, case_ids = stories

        written, text = exported(desk, case_ids)

        rows = rows_of(text)[1:]
        expected = [(str(c), str(e.originator_version)) for c in case_ids for e in desk.history(c)]
        assert written == len(rows) == len(expected) == 84
        assert [(row[0], row[1]) for row in rows] == expected

    def test_each_row_says_what_the_audit_trail_says(
        self, stories: tuple[CaseDesk, list[UUID]]
    ) -> None:
        desk, case_ids = stories

        rows = rows_of(exported(desk, case_ids[:1])[1])[1:]

        for row, line in zip(rows, desk.trail(case_ids[0]), strict=True):
            record = dict(zip(CSV_COLUMNS, row, strict=True))
            assert record["type"] == line.event_type
            assert record["occurred_at"] == line.occurred_at.isoformat()
            assert record["recorded_at"] == line.recorded_at.isoformat()
            assert (record["actor"], record["actor_role"]) == (line.actor.id, line.actor.role.name)
            assert record["what"] == line.what

    def test_money_is_an_exact_amount_and_its_currency_and_empty_elsewhere(
        self, stories: tuple[CaseDesk, list[UUID]]
    ) -> None:
        desk, case_ids = stories
        hold = case_ids[3]  # the $6,000 hold

        rows = [
            dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows_of(exported(desk, [hold])[1])[1:]
        ]

        money = {r["type"]: (Decimal(r["amount"]), r["currency"]) for r in rows if r["amount"]}
        assert money == {
            "PaymentRecorded": (Decimal("6012.47"), "USD"),
            "HoldPlaced": (Decimal("6012.47"), "USD"),
            "HoldReleased": (Decimal("6012.47"), "USD"),
            "CreditIssued": (Decimal("150.00"), "USD"),
        }
        assert all(r["currency"] == "" for r in rows if not r["amount"])

    def test_status_after_follows_the_fold_and_ends_where_the_case_stands(
        self, stories: tuple[CaseDesk, list[UUID]]
    ) -> None:
        desk, case_ids = stories

        rows = rows_of(exported(desk, case_ids)[1])[1:]

        for case_id in case_ids:
            statuses = [row[10] for row in rows if row[0] == str(case_id)]
            assert statuses[0] == "NEW"
            assert statuses[-1] == desk.case(case_id).status.name

    def test_each_row_carries_its_events_digest(self, stories: tuple[CaseDesk, list[UUID]]) -> None:
        desk, case_ids = stories

        rows = rows_of(exported(desk, case_ids[1:2])[1])[1:]

        assert [row[11] for row in rows] == [e.digest for e in desk.history(case_ids[1])]

    def test_no_cases_give_the_header_alone(self, stories: tuple[CaseDesk, list[UUID]]) -> None:
        written, text = exported(stories[0], [])

        assert (written, rows_of(text)) == (0, [list(CSV_COLUMNS)])


class TestDialect:
    def test_rows_end_in_crlf_and_fields_are_quoted_only_when_needed(
        self, stories: tuple[CaseDesk, list[UUID]]
    ) -> None:
        _, text = exported(stories[0], stories[1][:1])

        assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
        assert text.count("\r\n") == 17  # the header and 16 events
        assert '"case opened by PHONE for Brightline IT Solutions: ' in text  # it has a comma

    def test_a_utf8_file_reads_back_field_for_field(
        self, stories: tuple[CaseDesk, list[UUID]], tmp_path: Path
    ) -> None:
        desk, case_ids = stories
        path = tmp_path / "trail.csv"

        with path.open("w", encoding="utf-8", newline="") as out:
            write_csv(desk, case_ids, out)
        with path.open(encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file))

        assert rows == rows_of(exported(desk, case_ids)[1])
        assert any("Tomás Herrera" in row[7] for row in rows)
        assert path.read_bytes().count("á".encode()) >= 1


class TestFormulaInjection:
    @pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
    def test_text_that_starts_like_a_formula_gets_an_apostrophe(self, text: str) -> None:
        assert neutralise(text) == "'" + text

    @pytest.mark.parametrize("text", ["1+1", "note: =1+1", "'=quoted", " =1", ""])
    def test_other_text_is_left_alone(self, text: str) -> None:
        assert neutralise(text) == text

    def test_actor_ids_typed_as_formulas_reach_the_file_neutralised(self) -> None:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(AT, step=timedelta(seconds=1)))
        crafted = ['=HYPERLINK("x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx"]
        case_id = desk.open_case(
            customer=Customer("c1", "=cmd|' /C calc'!A0"),
            subject="=1+1",
            channel=Channel.EMAIL,
            by=Actor(crafted[0], Role.AGENT),
            occurred_at=AT,
        )
        for actor_id in crafted[1:]:
            desk.add_note(case_id, text="=2+2 <b>", by=Actor(actor_id, Role.AGENT), occurred_at=AT)

        rows = rows_of(exported(desk, [case_id])[1])[1:]

        assert [row[5] for row in rows] == ["'" + actor_id for actor_id in crafted]
        assert [row[7] for row in rows[1:]] == ["note: =2+2 <b>"] * 4
        assert not any(cell.startswith(("=", "+", "@", "\t")) for row in rows for cell in row)

    def test_numbers_stay_numbers(self) -> None:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(AT))
        agent = Actor("a1", Role.AGENT)
        case_id = desk.open_case(
            customer=Customer("c1", "C"),
            subject="s",
            channel=Channel.EMAIL,
            by=agent,
            occurred_at=AT,
        )
        desk.record_payment(
            case_id, amount=Money("0.0125", "BHD"), reference="r", by=agent, occurred_at=AT
        )

        payment = rows_of(exported(desk, [case_id])[1])[2]

        assert (payment[1], payment[8], payment[9]) == ("2", "0.0125", "BHD")


def test_cases_are_read_and_written_one_at_a_time(
    stories: tuple[CaseDesk, list[UUID]],
) -> None:
    desk, case_ids = stories
    out = io.StringIO(newline="")
    seen_before: list[int] = []

    def ids() -> Iterator[UUID]:
        for case_id in case_ids:
            seen_before.append(out.getvalue().count("\r\n"))
            yield case_id

    write_csv(desk, ids(), out)

    # Before each next id is asked for, every row of the cases before it is already out.
    sizes = [len(desk.history(c)) for c in case_ids]
    assert seen_before == [1 + sum(sizes[:i]) for i in range(len(case_ids))]
