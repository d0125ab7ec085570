"""`casehistory show CASE --as-of T --known-at R`: the bi-temporal view on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from casehistory import CaseDesk, FixedClock
from casehistory.cli import main
from casehistory.stories import late_return

FRIDAY_NOON = "2026-03-06T12:00:00+00:00"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def story(tmp_path: Path) -> tuple[str, str]:
    """(db, case id): the late-return story told on a SQLite file, store times its own."""
    db = str(tmp_path / "cases.sqlite")
    desk = CaseDesk.open(db, clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    case_id = late_return.tell(desk)
    desk.close()
    return db, str(case_id)


class TestShowAsOf:
    def test_says_which_times_the_answer_is_for(self, story: tuple[str, str]) -> None:
        db, case_id = story

        code, out = run(
            "show", case_id, "--as-of", FRIDAY_NOON, "--known-at", FRIDAY_NOON, "--db", db
        )

        assert code == 0, out
        assert f"as of      {FRIDAY_NOON} (business time" in out
        assert f"known at   {FRIDAY_NOON} (store time" in out
        assert "status     AWAITING_RETURN" in out
        assert "RMA 260302-0318 (REFUND): ISSUED" in out

    def test_without_known_at_the_late_entry_counts(self, story: tuple[str, str]) -> None:
        db, case_id = story

        code, out = run("show", case_id, "--as-of", FRIDAY_NOON, "--db", db)

        assert code == 0, out
        assert "known at   now (store time" in out
        assert "status     IN_SERVICE" in out

    def test_json_has_the_view_and_the_times_asked(self, story: tuple[str, str]) -> None:
        db, case_id = story

        code, out = run(
            "show", case_id, "--as-of", "2026-03-06T12:00:00Z", "--known-at", FRIDAY_NOON,
            "--json", "--db", db,
        )  # fmt: skip

        assert code == 0, out
        data = json.loads(out)
        assert (data["status"], data["fault"], data["version"]) == ("AWAITING_RETURN", "OURS", 9)
        assert data["ledger"]["USD"]["paid"] == "349.00"
        assert (data["as_of"], data["known_at"]) == (FRIDAY_NOON, FRIDAY_NOON)

    def test_a_date_alone_means_the_end_of_that_day_in_utc(self, story: tuple[str, str]) -> None:
        db, case_id = story

        _, by_date = run("show", case_id, "--as-of", "2026-03-05", "--json", "--db", db)
        _, by_time = run(
            "show", case_id, "--as-of", "2026-03-05T23:59:59.999999+00:00", "--json", "--db", db
        )

        assert json.loads(by_date) == json.loads(by_time)
        assert json.loads(by_date)["status"] == "IN_SERVICE"  # the return, Thursday 14:20

    def test_before_the_case_existed_is_a_one_line_refusal(self, story: tuple[str, str]) -> None:
        db, case_id = story

        code, out = run("show", case_id, "--as-of", "2026-03-01", "--db", db)

        assert code == 1
        assert out.startswith(f"Error: case {case_id} was not open yet at 2026-03-01T23:59:59")
        assert len(out.splitlines()) == 1


class TestShowAsOfUsage:
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("2026-03-06T12:00", "has no UTC offset; add one"),
            ("last friday", "is not an ISO 8601 time"),
            ("2026-02-30", "is not an ISO 8601 time"),
        ],
    )
    @pytest.mark.parametrize("option", ["--as-of", "--known-at"])
    def test_a_time_without_offset_or_not_a_time_is_a_usage_error(
        self, story: tuple[str, str], option: str, value: str, message: str
    ) -> None:
        db, case_id = story

        code, out = run("show", case_id, option, value, "--db", db)

        assert code == 2
        assert f"Invalid value for '{option}'" in out
        assert message in out
