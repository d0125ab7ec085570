"""The HTML export in a real browser: headless Chromium (Debian's ``chromium`` package)
reads the page from a file, and what it builds is checked: the DOM holds every case's
subject and statuses, a screenshot is a drawn page (not blank), and printing gives a
PDF with each case on pages of its own.

Without /usr/bin/chromium these tests are skipped, except under ``CI=true``, where they
fail: ``.ci/run`` installs it (``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import CaseDesk, SteppingClock
from casehistory.audit._svg import STATUS_COLOURS
from casehistory.audit.export_html import write_html
from casehistory.domain.state import evolve
from casehistory.stories import STORIES

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2000


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The browser, or a skip (a failure under CI=true) saying how to install it."""
    if not CHROMIUM.is_file():
        what = f"{CHROMIUM} is missing, so the HTML export cannot be checked in a browser"
        way_out = "install it with `apt-get install -y chromium` (Debian's package)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{what}; CI=true requires it: {way_out}", pytrace=False)
        pytest.skip(f"{what}; {way_out}")
    return CHROMIUM


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseDesk, list[UUID], Path]:
    """The five stories, exported to a page on disk."""
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)
    case_ids = list(desk.case_ids())
    page = tmp_path_factory.mktemp("export") / "cases.html"
    with page.open("w", encoding="utf-8") as out:
        write_html(desk, case_ids, out, generated_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    return desk, case_ids, page


def run_chromium(chromium: Path, page: Path, *options: str) -> str:
    """Run headless Chromium on ``page`` with ``options``; return what it printed."""
    result = subprocess.run(
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={page.parent / 'profile'}",  # nothing read from the user's
            # The page needs no network, and neither does this test.
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            *options,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr}"
    return result.stdout


class _Sections(HTMLParser):
    """The text of each case's section, by the section's id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: dict[str, list[str]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section" and attributes.get("class") == "case":
            self.current = attributes["id"]
            self.text[self.current or ""] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current:
            self.text[self.current].append(data)

    def of(self, case_id: UUID) -> str:
        return " ".join(" ".join(self.text[f"case-{case_id}"]).split())


def statuses_of(desk: CaseDesk, case_id: UUID) -> set[str]:
    """Every status the case was in, from the one fold."""
    state, seen = None, set()
    for event in desk.history(case_id):
        state = evolve(state, event)
        seen.add(state.status.name)
    return seen


def test_the_dom_chromium_builds_holds_every_case(
    chromium: Path, exported: tuple[CaseDesk, list[UUID], Path]
) -> None:
    desk, case_ids, page = exported

    dom = _Sections()
    dom.feed(run_chromium(chromium, page, "--dump-dom"))

    assert list(dom.text) == [f"case-{case_id}" for case_id in case_ids]
    for case_id in case_ids:
        view, text = desk.case(case_id), dom.of(case_id)
        assert view.subject in text
        assert f"{view.customer.name} ({view.customer.id}" in text
        words = set(text.split())
        assert statuses_of(desk, case_id) <= words
        assert {"NEW", view.status.name} <= words


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of an 8-bit RGB or RGBA PNG (as Chromium writes them)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks: dict[bytes, list[bytes]] = {}
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        chunks.setdefault(kind, []).append(data[at + 8 : at + 8 + length])
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert (depth, colour, interlace) in ((8, 2, 0), (8, 6, 0)), "an unexpected PNG layout"
    size = 3 if colour == 2 else 4
    stride = width * size
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    # "Up", the commonest filter, added bytewise without carries across bytes, all at once.
    low, high = int.from_bytes(b"\x7f" * stride), int.from_bytes(b"\x80" * stride)
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 2:
            a, b = int.from_bytes(line), int.from_bytes(previous)
            line = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride)
        elif kind:
            line = _unfilter(kind, bytearray(line), previous, size)
        rows.append(line)
        previous = line
    return width, height, [row if size == 3 else _rgb(row) for row in rows]


def _unfilter(kind: int, line: bytearray, up: bytes, size: int) -> bytes:
    for i in range(len(line)):
        left = line[i - size] if i >= size else 0
        if kind == 1:
            guess = left
        elif kind == 3:
            guess = (left + up[i]) >> 1
        else:  # Paeth
            corner = up[i - size] if i >= size else 0
            base = left + up[i] - corner
            a, b, c = abs(base - left), abs(base - up[i]), abs(base - corner)
            guess = left if a <= b and a <= c else up[i] if b <= c else corner
        line[i] = (line[i] + guess) & 0xFF
    return bytes(line)


def _rgb(row: bytes) -> bytes:
    return b"".join(row[i : i + 3] for i in range(0, len(row), 4))


def test_a_screenshot_shows_a_drawn_page(
    chromium: Path, exported: tuple[CaseDesk, list[UUID], Path]
) -> None:
    page = exported[2]
    shot = page.parent / "screenshot.png"

    run_chromium(
        chromium,
        page,
        "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={shot}",
    )

    width, height, rows = png_pixels(shot.read_bytes())

    colours = {row[x : x + 3] for row in rows for x in range(0, len(row), 3)}
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(colours) > 50, f"a blank-looking screenshot: {len(colours)} colours"
    assert b"\xff\xff\xff" in colours  # the page
    badges = {"CLOSED", "RESOLVED"}  # the statuses the table at the top shows, as badges
    assert {bytes.fromhex(STATUS_COLOURS[s][1:]) for s in badges} <= colours


def test_printing_gives_a_pdf_with_a_page_break_before_each_case(
    chromium: Path, exported: tuple[CaseDesk, list[UUID], Path]
) -> None:
    page = exported[2]
    pdf = page.parent / "cases.pdf"

    run_chromium(chromium, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")

    data = pdf.read_bytes()

    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 1 + len(exported[1])  # the table of cases, then every case on new pages
