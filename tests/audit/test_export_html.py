"""HTML export, read back with the standard library's HTML parser: one page with a
section per case (summary, timeline, ledger, trail), a trail row per event, nothing
fetched from anywhere, customer text shown and never run, the same bytes every time."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from itertools import pairwise
from uuid import UUID

import pytest

from casehistory import Actor, CaseDesk, Channel, Customer, InvalidInput, Money, Role, SteppingClock
from casehistory.audit.export_html import DEFAULT_TITLE, write_html
from casehistory.stories import STORIES

GENERATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SECTIONS = ("summary", "timeline", "ledger", "trail")


class Page(HTMLParser):
    """What the tests look at: elements, the text of each case, trail rows, styles."""

    VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[tuple[str, list[str]]] = []
        self.case: str | None = None
        self.text: dict[str | None, list[str]] = {}
        self.trail_rows: dict[str, int] = {}
        self.style = ""
        self.title = ""
        self.svg_titles = 0

    def inside(self, tag: str, css_class: str | None = None) -> bool:
        return any(t == tag and (css_class is None or css_class in c) for t, c in self.open)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> list[str]:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if tag == "section" and "case" in classes:
            self.case = attributes["id"]
        if tag == "tr" and self.inside("table", "trail") and self.inside("tbody"):
            assert self.case is not None
            self.trail_rows[self.case] = self.trail_rows.get(self.case, 0) + 1
        if tag == "title" and self.inside("svg"):
            self.svg_titles += 1
        return classes

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = self._start(tag, attrs)
        if tag not in self.VOID:
            self.open.append((tag, classes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)  # <line/>: opened and closed at once

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop()[0] == tag, f"</{tag}> closes another element"
        if tag == "section":
            self.case = None

    def handle_data(self, data: str) -> None:
        if self.inside("style"):
            self.style += data
        elif self.inside("title") and not self.inside("svg"):
            self.title += data
        self.text.setdefault(self.case, []).append(data)

    def text_of(self, case_id: UUID) -> str:
        return " ".join(" ".join(self.text.get(f"case-{case_id}", [])).split())

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        return [attributes for name, attributes in self.tags if name == tag]


def html_of(desk: CaseDesk, case_ids: list[UUID], **options: str) -> str:
    out = io.StringIO()
    write_html(desk, case_ids, out, generated_at=GENERATED, **options)
    return out.getvalue()


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert page.open == [], "every element is closed"
    return page


@pytest.fixture(scope="module")
def stories() -> tuple[CaseDesk, list[UUID]]:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)
    return desk, list(desk.case_ids())


@pytest.fixture(scope="module")
def html(stories: tuple[CaseDesk, list[UUID]]) -> str:
    return html_of(*stories)


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return parsed(html)


class TestStructure:
    def test_one_page_with_its_title_and_a_section_per_case_in_order(
        self, stories: tuple[CaseDesk, list[UUID]], html: str, page: Page
    ) -> None:
        _, case_ids = stories

        assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
        assert page.title == DEFAULT_TITLE
        sections = [a["id"] for a in page.elements("section")]
        assert sections == [f"case-{case_id}" for case_id in case_ids]

    def test_each_case_has_its_summary_timeline_ledger_and_trail(
        self, stories: tuple[CaseDesk, list[UUID]], page: Page
    ) -> None:
        _, case_ids = stories

        ids = {a["id"] for a in page.elements("h3")}

        for case_id in case_ids:
            assert {f"case-{case_id}-{section}" for section in SECTIONS} <= ids

    def test_the_trail_has_a_row_per_event(
        self, stories: tuple[CaseDesk, list[UUID]], page: Page
    ) -> None:
        desk, case_ids = stories

        assert page.trail_rows == {f"case-{c}": len(desk.history(c)) for c in case_ids}

    def test_the_summary_says_what_the_case_view_says(
        self, stories: tuple[CaseDesk, list[UUID]], page: Page
    ) -> None:
        desk, case_ids = stories

        for case_id in case_ids:
            view, text = desk.case(case_id), page.text_of(case_id)
            assert view.subject in text
            assert view.customer.name in text
            assert f"fault {view.fault.name}" in text
            assert str(view.agent) in text
            assert view.resolution is not None
            assert view.resolution in text
            assert view.digest is not None
            assert view.digest in text  # the last digest, in full

    def test_every_digest_is_in_a_tooltip_and_shown_shortened(
        self, stories: tuple[CaseDesk, list[UUID]], page: Page
    ) -> None:
        desk, case_ids = stories

        tooltips = [a["title"] for a in page.elements("code") if a.get("class") == "digest"]

        assert tooltips == [e.digest for c in case_ids for e in desk.history(c)]

    def test_escalations_rmas_and_holds_get_their_tables(
        self, stories: tuple[CaseDesk, list[UUID]], page: Page
    ) -> None:
        _, case_ids = stories
        ids = {a["id"] for a in page.elements("h4")}

        assert f"case-{case_ids[1]}-escalations" in ids  # the bust hard drive
        assert f"case-{case_ids[1]}-rmas" in ids
        assert f"case-{case_ids[2]}-rmas" not in ids  # bait and switch had none
        assert "VKI-2291" in page.text_of(case_ids[1])

    def test_the_ledger_has_a_row_and_a_chart_per_currency(self) -> None:
        desk, case_id = one_case(notes=())
        agent = Actor("a1", Role.AGENT)
        desk.record_payment(
            case_id, amount=Money("20", "USD"), reference="r1", by=agent, occurred_at=AT
        )
        desk.record_payment(
            case_id, amount=Money("10", "EUR"), reference="r2", by=agent, occurred_at=AT
        )

        page = parsed(html_of(desk, [case_id]))

        currencies = [s for s in page.text_of(case_id).split() if s in ("EUR", "USD")]
        charts = [a for a in page.elements("svg") if a.get("class") == "ledger-chart"]
        assert len(charts) == 2
        assert currencies.index("EUR") < currencies.index("USD")  # sorted by code

    def test_a_long_case_has_a_mark_per_event_and_spaced_version_labels(self) -> None:
        desk, case_id = one_case(notes=tuple(f"call {i}" for i in range(119)))

        html = html_of(desk, [case_id])

        page = parsed(html)
        assert page.trail_rows == {f"case-{case_id}": 120}
        assert html.count('<g class="mark">') == 120
        labels = [
            float(a["x"] or 0) for a in page.elements("text") if a.get("class") == "axis-value"
        ]
        assert labels[-1] == max(labels)  # the last version is labelled
        assert min(b - a for a, b in pairwise(labels)) >= 24

    def test_a_case_without_money_says_so(self) -> None:
        desk, case_id = one_case(notes=())

        assert "No money recorded." in parsed(html_of(desk, [case_id])).text_of(case_id)

    def test_no_cases_give_a_page_that_says_so(self, stories: tuple[CaseDesk, list[UUID]]) -> None:
        page = parsed(html_of(stories[0], []))

        assert "No cases." in " ".join(page.text[None])
        assert page.elements("section") == []


class TestSelfContained:
    def test_nothing_refers_to_anything_outside_the_page(self, html: str, page: Page) -> None:
        assert not re.search(r"https?:|//[\w.-]+/|@import|url\(|<link|<script|<img|<iframe", html)
        assert all((a.get("href") or "#").startswith("#") for _, a in page.tags)
        assert not [a for _, a in page.tags if "src" in a]

    def test_the_charts_are_inline_svg_with_titles_for_screen_readers(
        self, stories: tuple[CaseDesk, list[UUID]], page: Page
    ) -> None:
        svgs = page.elements("svg")

        assert len(svgs) == 2 * len(stories[1])  # a timeline and a ledger chart per case
        assert all(a["role"] == "img" and a["aria-labelledby"] for a in svgs)
        assert page.svg_titles >= len(svgs)

    def test_every_table_header_has_a_scope(self, page: Page) -> None:
        assert all(a.get("scope") in ("col", "row") for a in page.elements("th"))

    def test_printing_breaks_pages_between_cases_and_never_inside_a_row(self, page: Page) -> None:
        assert "@media print" in page.style
        assert re.search(r"\.case \{ break-before: page;", page.style)
        assert re.search(r"tr, figure, [^{]*\{ break-inside: avoid; \}", page.style)


class TestEscaping:
    def test_customer_text_is_shown_as_text_and_never_becomes_markup(self) -> None:
        desk, case_id = one_case(
            notes=("<script>alert('x')</script>", '"><img src=x onerror=alert(1)>'),
            subject="<b>bold</b> & </section>",
        )

        html = html_of(desk, [case_id], title="<i>Audit</i>")
        page = parsed(html)

        assert [tag for tag, _ in page.tags if tag in ("script", "img", "b", "i")] == []
        text = page.text_of(case_id)
        assert "note: <script>alert('x')</script>" in text
        assert 'note: "><img src=x onerror=alert(1)>' in text
        assert "<b>bold</b> & </section>" in text
        assert page.title == "<i>Audit</i>"
        assert "&lt;script&gt;" in html


class TestDeterminism:
    def test_the_same_cases_give_the_same_bytes(self, stories: tuple[CaseDesk, list[UUID]]) -> None:
        assert html_of(*stories) == html_of(*stories)

    def test_the_generation_time_is_the_one_given(self, page: Page) -> None:
        times = [a["datetime"] for a in page.elements("time")]

        assert times[0] == GENERATED.isoformat()

    def test_a_naive_generation_time_is_refused(self, stories: tuple[CaseDesk, list[UUID]]) -> None:
        with pytest.raises(InvalidInput, match="generated_at must be a timezone-aware datetime"):
            write_html(stories[0], [], io.StringIO(), generated_at=datetime(2026, 11, 2))


def one_case(*, notes: tuple[str, ...], subject: str = "a small case") -> tuple[CaseDesk, UUID]:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(AT, step=timedelta(seconds=1)))
    agent = Actor("a1", Role.AGENT)
    case_id = desk.open_case(
        customer=Customer("c1", "Sam <Sample>"),
        subject=subject,
        channel=Channel.EMAIL,
        by=agent,
        occurred_at=AT,
    )
    for note in notes:
        desk.add_note(case_id, text=note, by=agent, occurred_at=AT)
    return desk, case_id
