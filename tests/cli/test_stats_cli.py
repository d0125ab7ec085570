"""``casehistory stats``: read-only, its figures those of a writable desk's catalog in
the three states a reader meets (no catalog yet, a catalog behind the log, one up to
date); usage errors in one line; and the HTML page, self-contained and escaped, built
in headless Chromium as the export's is (tests/audit/test_html_in_chromium.py's
helpers: without /usr/bin/chromium those tests skip, under CI=true they fail)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from casehistory import CaseDesk, Money, SteppingClock
from casehistory.audit._svg import LEDGER_COLOURS, STATUS_COLOURS
from casehistory.audit.stats_html import MAX_GROUPS, money_chart, write_stats_html
from casehistory.catalog import MoneyMoved
from casehistory.cli import main
from casehistory.stories import STORIES
from tests.audit.test_html_in_chromium import chromium, png_pixels, run_chromium
from tests.integration.test_catalog_stats import AGENT, a_case, our_cases, pay

__all__ = ["chromium"]  # the export's browser fixture, used here by name

HOSTILE = "<script>alert(1)</script> & \"quotes\" 'too' </svg>"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The five stories and three cases of our own, on a SQLite file (no catalog yet)."""
    path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)
    our_cases(desk)
    desk.close()
    return path


def figures(path: Path, *args: str) -> dict[str, Any]:
    result = run("stats", "--json", *args, "--db", str(path))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def wanted(path: Path, data: dict[str, Any], **filters: Any) -> dict[str, Any]:
    """What a writable desk's catalog says on a copy of the store, as of the same now."""
    copy = path.with_name("copy.sqlite")
    copy.write_bytes(path.read_bytes())
    desk = CaseDesk.open(copy)
    stats = desk.catalog.stats(
        data["period"], now=datetime.fromisoformat(data["as_of"]), **filters
    ).as_json()
    desk.close()
    copy.unlink()
    return stats


def _catalog_state(path: Path, state: str) -> None:
    if state == "no catalog":
        return
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 2, tzinfo=UTC)))
    desk.catalog.wait()
    if state == "behind":
        eve = a_case(desk, "Eve", datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
        pay(desk, eve, "7.00", "GBP", datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    desk.close()


class TestFigures:
    @pytest.mark.parametrize("state", ["no catalog", "behind", "up to date"])
    @pytest.mark.parametrize("period", ["month", "week", "day"])
    def test_are_a_writable_catalogs_and_the_store_is_not_written(
        self, store: Path, state: str, period: str
    ) -> None:
        _catalog_state(store, state)
        before = sha256(store)

        data = figures(store, "--period", period)

        assert sha256(store) == before  # read-only: not a byte written
        folded, position, head = data.pop("folded"), data.pop("position"), data.pop("head")
        assert data == wanted(store, data)
        assert data["behind"] == 0
        assert folded == head - position
        assert folded == {"no catalog": 100, "behind": 3, "up to date": 0}[state]

    def test_with_fold_0_a_reader_says_how_far_behind_they_are(self, store: Path) -> None:
        _catalog_state(store, "behind")

        result = run("stats", "--fold", "0", "--db", str(store))

        assert result.exit_code == 0
        assert "note: the catalog is 3 behind the log (position 100, head 103)" in result.stderr
        assert result.stdout.startswith("8 cases;")  # Eve is not counted

    def test_opened_filters_and_text_output(self, store: Path) -> None:
        data = figures(store, "--opened-since", "2026-10-01", "--opened-until", "2026-10-31")

        assert data["cases"] == 3
        assert data == {**wanted(store, data, opened=_october()), **_listing(data)}
        text = run("stats", "--opened-since", "2026-10-01", "--db", str(store)).stdout
        assert text.startswith("3 cases; SLA as of 20")
        assert text.splitlines()[1:5] == [
            "status     OPEN 2, RESOLVED 1",
            "fault      OURS 1, UNDETERMINED 2",
            "channel    EMAIL 2, CHAT 1",
            "on hold    150.00 EUR (1 open hold)",
        ]
        assert re.search(r"2026-10 +EUR +0\.30 +0\.30 +0\.00 +0\.00 +250\.00 +100\.00", text)
        assert re.search(r"2026-10 +3 +30m / 2h00m \(2\) +3h00m / 3h00m \(1\)", text)


def _october() -> tuple[datetime, datetime]:
    return (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=UTC),
    )


def _listing(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in ("folded", "position", "head")}


class TestUsage:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--period", "year"], "'year' is not one of 'month', 'week', 'day'"),
            (["--opened-since", "yesterday"], "is not an ISO 8601 time"),
            (["--opened-until", "2026-10-01T00:00:00"], "has no UTC offset"),
            (
                ["--opened-since", "2026-10-02", "--opened-until", "2026-10-01"],
                "opened: until 2026-10-01T23:59:59.999999\\+00:00 is before since",
            ),
            (["--fold", "-1"], "-1 is not in the range x>=0"),
        ],
    )
    def test_bad_options_are_one_line_with_exit_code_2(
        self, store: Path, args: list[str], message: str
    ) -> None:
        result = run("stats", *args, "--db", str(store))

        assert result.exit_code == 2
        assert re.search(message, result.stderr)
        assert "Traceback" not in result.output

    def test_a_missing_store_is_an_error_and_no_file_is_made(self, tmp_path: Path) -> None:
        result = run("stats", "--db", str(tmp_path / "nothing.sqlite"))

        assert result.exit_code == 2
        assert not (tmp_path / "nothing.sqlite").exists()

    def test_an_unwritable_html_file_is_refused_in_one_line(
        self, store: Path, tmp_path: Path
    ) -> None:
        result = run(
            "stats", "--html", str(tmp_path / "no" / "such" / "x.html"), "--db", str(store)
        )

        assert result.exit_code == 1
        assert result.stderr.startswith("Error: cannot write ")
        assert len(result.stderr.splitlines()) == 1


class TestPage:
    def test_is_self_contained_escaped_and_left_whole(self, store: Path, tmp_path: Path) -> None:
        page = tmp_path / "stats.html"

        result = run("stats", "--html", str(page), "--title", HOSTILE, "--db", str(store))

        assert result.exit_code == 0, result.output
        assert "wrote the stats of 8 cases to" in result.stdout
        html = page.read_text()
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
        assert "<script" not in html
        for outside in ("http://", "https://", "src=", 'href="//', "url(", "@import"):
            assert outside not in html
        assert html.count("<svg") == 3 + 2  # status, fault, channel; EUR, USD
        assert not list(tmp_path.glob("*.partial"))

    def test_the_same_stats_give_the_same_bytes(self, tmp_path: Path) -> None:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
        our_cases(desk)
        stats = desk.catalog.stats(now=datetime(2026, 11, 2, tzinfo=UTC))
        pages = []
        for _ in range(2):
            out = tmp_path / "page.html"
            with out.open("w", encoding="utf-8") as handle:
                write_stats_html(stats, handle, generated_at=datetime(2026, 11, 2, tzinfo=UTC))
            pages.append(out.read_bytes())

        assert pages[0] == pages[1]

    def test_a_money_chart_draws_the_latest_periods_and_scales_to_the_largest(self) -> None:
        # 36 days, the n-th paid n and refunded half of it.
        rows = [
            MoneyMoved(f"day {n}", date(2026, 1, n % 28 + 1), "EUR", *_moved(n)) for n in range(36)
        ]

        chart = money_chart("EUR", rows)

        assert (chart.shown, chart.periods) == (MAX_GROUPS, 36)
        assert chart.ticks[0].text == "day 12"  # the latest 24: days 12 to 35
        tallest = max(chart.columns, key=lambda c: c.height)
        assert (tallest.height, tallest.tooltip) == (200.0, "day 35 paid 35.00 EUR")
        half = next(c for c in chart.columns if c.tooltip == "day 35 refunded 17.50 EUR")
        assert half.height == 100.0
        assert all(round(c.y + c.height, 1) == chart.base for c in chart.columns)
        assert chart.largest == "35.00"


def _moved(n: int) -> list[Decimal]:
    return [Decimal(n), Decimal(n) / 2, *[Decimal("0.00")] * 4]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


class TestInChromium:
    @pytest.fixture
    def page(self, store: Path, tmp_path: Path) -> Path:
        desk = CaseDesk.open(store)
        bo = desk.catalog.cases(text="Bo").rows[0].case_id
        desk.record_payment(
            bo,
            amount=Money("12.34", "GBP"),
            reference="P-GBP",
            by=AGENT,
            occurred_at=datetime(2026, 10, 7, tzinfo=UTC),
        )
        desk.close()
        page = tmp_path / "stats.html"
        result = run("stats", "--html", str(page), "--title", HOSTILE, "--db", str(store))
        assert result.exit_code == 0, result.output
        return page

    def test_the_dom_holds_every_figure_and_the_title_as_text(
        self, chromium: Path, page: Path
    ) -> None:
        dom = _Text()
        dom.feed(run_chromium(chromium, page, "--dump-dom"))

        text = " ".join(" ".join(dom.text).split())
        assert "script" not in dom.tags  # the title's <script> is text, never an element
        assert HOSTILE in text
        assert "8 cases" in text
        assert "Money moved per month in USD" in text
        assert "in GBP" in text
        assert "12.34" in text
        assert "1,000,000,000,000.00" in text
        assert "150.00 EUR held and not released, in 1 open hold." in text

    def test_a_screenshot_draws_the_bars_in_their_colours(self, chromium: Path, page: Path) -> None:
        shot = page.parent / "stats.png"

        run_chromium(
            chromium, page, "--hide-scrollbars", "--window-size=1280,2400", f"--screenshot={shot}"
        )

        width, height, rows = png_pixels(shot.read_bytes())
        colours = {row[x : x + 3] for row in rows for x in range(0, len(row), 3)}
        assert (width, height) == (1280, 2400)
        drawn = {STATUS_COLOURS["CLOSED"], STATUS_COLOURS["RESOLVED"], LEDGER_COLOURS["paid"]}
        assert {bytes.fromhex(c[1:]) for c in drawn} <= colours
