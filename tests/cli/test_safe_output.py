"""Text from a case is shown, never obeyed: no verb lets Rich read it as markup or lets
a terminal read its control characters (issue 10, point 4).

The attacker writes the case: a subject, a customer's name, a note, a hold's reference,
an actor id, or (with SQL on the store) a row's type. Every verb that prints it must
show it as text: the markup literally, each control character as an escape
(docs/cli.md, "Text from a case"), and under a forced colour terminal no escape
sequence but the styles casehistory chose.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import Actor, CaseDesk, Channel, Customer, Fault, Money, Role, SteppingClock
from casehistory.cli import main
from casehistory.cli._output import clean

CLOSING_TAG = "[/bold]"
LINK = "[link=https://evil.example]official refund portal[/link]"
COLOURS = "\x1b[31mRED\x1b[0m"
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;https://evil.example\x1b\\click here\x1b]8;;\x1b\\"
BEL = "ding\x07"
C1 = "csi\x9b2J nel\x85"
DEL = "rub\x7fout"
BIDI = "refund \u202e001 DSU\u202c and \u2066isolated\u2069"
LINES = "one\ntwo\rthree\u2028four\u2029five\ttab\x0bvt\x0cff\x1c\x1d\x1e"
NUL = "nul\x00byte"
EMOJI = ":thumbs_up: :smile:"
PAYLOADS = {
    "closing tag": CLOSING_TAG,
    "link markup": LINK,
    "colours": COLOURS,
    "clear screen": CLEAR,
    "OSC 8 hyperlink": OSC8,
    "BEL": BEL,
    "C1 controls": C1,
    "DEL": DEL,
    "bidi overrides": BIDI,
    "line breaks": LINES,
    "NUL": NUL,
    "emoji codes": EMOJI,
}

# What a terminal could obey: C0 but the newlines casehistory writes between lines,
# DEL, C1, the Unicode line separators and the Bidi_Control characters.
OBEYED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a style casehistory chose (bold table headers)
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def run(*args: str, colour: bool = False) -> tuple[int, str]:
    env = {"CASEHISTORY_DB": None, "FORCE_COLOR": "1" if colour else None}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def hostile_case(desk: CaseDesk, text: str) -> UUID:
    """A case whose every free text the trail or the view shows carries ``text``."""
    agent = Actor(f"agent {text}", Role.AGENT)
    case_id = desk.open_case(
        customer=Customer(f"cust {text}", f"name {text}"),
        subject=f"subject {text}",
        channel=Channel.EMAIL,
        by=agent,
        occurred_at=WHEN,
    )
    desk.assign_agent(case_id, agent=agent, by=agent, occurred_at=WHEN)
    desk.add_note(case_id, text=f"note {text}", by=agent, occurred_at=WHEN)
    desk.place_hold(
        case_id,
        amount=Money(Decimal("10.00"), "USD"),
        account=f"account {text}",
        reference=f"ref {text}",
        reason=f"reason {text}",
        by=agent,
        occurred_at=WHEN,
    )
    desk.resolve_case(
        case_id, resolution=f"resolution {text}", fault=Fault.OURS, by=agent, occurred_at=WHEN
    )
    return case_id


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """One store holding a hostile case per payload: (path, payload name -> case id)."""
    path = tmp_path_factory.mktemp("hostile") / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    try:
        ids = {name: str(hostile_case(desk, text)) for name, text in PAYLOADS.items()}
    finally:
        desk.close()
    return str(path), ids


def shown(text: str) -> str:
    """How ``text`` reads on the page: every character a terminal obeys as an escape."""
    return clean(text)


def assert_nothing_obeyed(output: str) -> None:
    found = OBEYED.search(SGR.sub("", output))
    assert found is None, f"{found.group()!r} reaches the terminal in {output!r}"


class TestShow:
    @pytest.mark.parametrize("name", list(PAYLOADS))
    def test_shows_every_text_as_text(self, store: tuple[str, dict[str, str]], name: str) -> None:
        db, ids = store
        text = PAYLOADS[name]

        code, out = run("show", ids[name], "--db", db)

        assert code == 0, out
        assert_nothing_obeyed(out)
        assert f"  subject    subject {shown(text)}\n" in out
        assert f"  customer   name {shown(text)} (cust {shown(text)})\n" in out
        assert f"  agent      AGENT agent {shown(text)} in" in out
        assert f"  resolution resolution {shown(text)}\n" in out
        assert f"  open hold  ref {shown(text)} on account {shown(text)}: 10.00 USD" in out

    def test_a_closing_tag_used_to_crash_it(self, store: tuple[str, dict[str, str]]) -> None:
        # Before: rich.errors.MarkupError, a traceback and exit code 1.
        db, ids = store

        code, out = run("show", ids["closing tag"], "--db", db)

        assert (code, "Traceback" in out) == (0, False)
        assert "subject    subject [/bold]\n" in out

    def test_escapes_read_as_escapes(self, store: tuple[str, dict[str, str]]) -> None:
        db, ids = store

        _, clear = run("show", ids["clear screen"], "--db", db)
        _, link = run("show", ids["OSC 8 hyperlink"], "--db", db)
        _, bidi = run("show", ids["bidi overrides"], "--db", db)

        assert "subject    subject \\x1b[2J\n" in clear
        assert "subject \\x1b]8;;https://evil.example\\x1b\\click here\\x1b]8;;\\x1b\\" in link
        assert "refund \\u202e001 DSU\\u202c and \\u2066isolated\\u2069" in bidi

    @pytest.mark.parametrize("name", list(PAYLOADS))
    def test_on_a_colour_terminal_only_casehistory_styles(
        self, store: tuple[str, dict[str, str]], name: str
    ) -> None:
        db, ids = store

        code, out = run("show", ids[name], "--db", db, colour=True)

        assert code == 0, out
        assert "\x1b]" not in out  # no OSC: no hyperlink, no window title
        assert_nothing_obeyed(out)


class TestList:
    def test_lists_every_case_and_shows_every_text(self, store: tuple[str, dict[str, str]]) -> None:
        db, ids = store

        code, out = run("list", "--db", db)

        assert code == 0, out
        assert_nothing_obeyed(out)
        assert all(case_id in out for case_id in ids.values())
        assert "subject [/bold]" in out  # before: MarkupError for the whole store
        assert "[link=https://evil.example]official" in out  # before: the words alone

    def test_on_a_colour_terminal_makes_no_link(self, store: tuple[str, dict[str, str]]) -> None:
        db, _ = store

        code, out = run("list", "--db", db, colour=True)

        assert code == 0, out
        assert "\x1b]8" not in out
        assert_nothing_obeyed(out)


class TestTrail:
    @pytest.mark.parametrize("name", list(PAYLOADS))
    def test_one_line_per_event_and_nothing_obeyed(
        self, store: tuple[str, dict[str, str]], name: str
    ) -> None:
        db, ids = store
        text = PAYLOADS[name]

        code, out = run("trail", ids[name], "--db", db, colour=True)

        assert code == 0, out
        assert_nothing_obeyed(out)
        lines = out.splitlines()
        assert [line.split(" | ")[0] for line in lines] == ["v1", "v2", "v3", "v4", "v5"]
        assert lines[2].endswith(f"| NoteAdded: note: note {shown(text)}")

    def test_a_stored_newline_cannot_forge_an_event(self, tmp_path: Path) -> None:
        db = tmp_path / "cases.sqlite"
        forged = "ok\nv9 | occurred 2026-03-01T09:00:00+00:00 | SUPERVISOR boss | RefundIssued"
        with CaseDesk.open(db) as desk:
            case_id = str(hostile_case(desk, forged))

        _, out = run("trail", case_id, "--db", str(db))

        assert not any(line.startswith("v9") for line in out.splitlines())
        assert "note ok\\x0av9 | occurred" in out


class TestJson:
    @pytest.mark.parametrize("name", list(PAYLOADS))
    def test_show_list_and_trail_carry_the_exact_text(
        self, store: tuple[str, dict[str, str]], name: str
    ) -> None:
        db, ids = store
        text = PAYLOADS[name]

        _, view = run("show", ids[name], "--json", "--db", db)
        _, listing = run("list", "--json", "--db", db)
        _, trail = run("trail", ids[name], "--json", "--db", db)

        for out in (view, listing, trail):
            assert out.isascii()  # every control, separator and bidi mark escaped by JSON
        assert json.loads(view)["subject"] == f"subject {text}"
        assert json.loads(view)["customer"]["name"] == f"name {text}"
        rows = json.loads(listing)["rows"]
        assert {"subject": f"subject {text}", "case_id": ids[name]}.items() <= next(
            row.items() for row in rows if row["case_id"] == ids[name]
        )
        notes = [json.loads(line) for line in trail.splitlines()][2]
        assert notes["what"] == f"note: note {text}"

    def test_a_lone_surrogate_written_by_sql_is_shown_and_kept(self, tmp_path: Path) -> None:
        # The desk refuses a lone surrogate; a row written by SQL can still hold one.
        db = tmp_path / "cases.sqlite"
        with CaseDesk.open(db) as desk:
            case_id = hostile_case(desk, "x")
        with sqlite3.connect(db) as conn:
            [(state,)] = conn.execute(
                "SELECT state FROM stored_events WHERE originator_version = 1"
            ).fetchall()
            # The subject is sealed now; a row written by SQL may hold it plain, as
            # stores of 0.3.x and earlier do, and then with any code point.
            state, forged = re.subn(
                rb'"subject":\{"_type_":"sealed","_data_":"[^"]+"\}',
                rb'"subject":"\\ud800\\u001b[2J"',
                state,
            )
            assert forged == 1
            conn.execute(
                "UPDATE stored_events SET state = ? WHERE originator_version = 1", (state,)
            )
        conn.close()

        code, out = run("show", str(case_id), "--db", str(db))
        code_json, out_json = run("show", str(case_id), "--json", "--db", str(db))

        assert code == 0, out
        assert "subject    \\ud800\\x1b[2J\n" in out
        assert (code_json, json.loads(out_json)["subject"]) == (0, "\ud800\x1b[2J")


class TestMessages:
    def test_a_row_type_in_a_finding_is_text(self, tmp_path: Path) -> None:
        # verify's findings quote a row's type, which SQL on the store can set.
        db = tmp_path / "cases.sqlite"
        with CaseDesk.open(db) as desk:
            hostile_case(desk, "x")
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE stored_events SET topic = ? WHERE originator_version = 3",
                (f"{CLOSING_TAG}{OSC8}{BEL}{BIDI}",),
            )
        conn.close()

        verify_code, verified = run("verify", "--db", str(db), colour=True)
        export_code, exported = run("export", "--format", "csv", "--db", str(db))
        show_code, shown_ = run("show", "--db", str(db), *self._case(db), colour=True)

        assert (verify_code, export_code, show_code) == (1, 1, 1)
        for out in (verified, exported, shown_):
            assert "Traceback" not in out
            assert "\x1b]" not in out
            assert_nothing_obeyed(out)
        assert "[/bold]" in verified  # before: MarkupError
        assert exported.startswith("Error: the store fails verification")
        assert shown_.startswith("Error: version 3 of case")

    @staticmethod
    def _case(db: Path) -> list[str]:
        with sqlite3.connect(db) as conn:
            [(case_id,)] = conn.execute("SELECT DISTINCT originator_id FROM stored_events")
        conn.close()
        return [str(UUID(case_id))]

    def test_a_foreign_table_name_in_an_error_is_text(self, tmp_path: Path) -> None:
        theirs = tmp_path / "theirs.db"
        with sqlite3.connect(theirs) as conn:
            conn.execute(f'CREATE TABLE "{OSC8}{BEL}{CLEAR}" (x)')
        conn.close()

        code, out = run("list", "--db", str(theirs))

        assert code == 1
        assert len(out.splitlines()) == 1
        assert_nothing_obeyed(out)
        assert "\\x1b]8;;https://evil.example" in out

    def test_a_checkpoint_file_quoted_in_an_error_is_text(self, tmp_path: Path) -> None:
        bad = tmp_path / "cp.txt"
        bad.write_text(f"{OSC8}{CLEAR}{BEL}\n84\nnot a root\n")

        code, out = run("verify", "--bundle", str(bad), "--checkpoint", str(bad))

        assert code in (1, 2)
        assert "Traceback" not in out
        assert_nothing_obeyed(out)


class TestExports:
    """CSV and HTML keep what they did: the exact text (CSV, but a leading formula
    character neutralised), and HTML that escapes markup."""

    def test_csv_carries_the_text_and_no_formula(
        self, store: tuple[str, dict[str, str]], tmp_path: Path
    ) -> None:
        db, ids = store
        out = tmp_path / "cases.csv"

        code, said = run(
            "export", ids["link markup"], "--format", "csv", "-o", str(out), "--db", db
        )

        assert code == 0, said
        rows = list(csv.reader(io.StringIO(out.open(encoding="utf-8", newline="").read())))
        assert any(f"note: note {LINK}" in cell for row in rows for cell in row)

    def test_a_formula_is_neutralised(self, tmp_path: Path) -> None:
        db = tmp_path / "cases.sqlite"
        with CaseDesk.open(db) as desk:
            case_id = desk.open_case(
                customer=Customer("c1", '=HYPERLINK("https://evil.example","refund")'),
                subject="s",
                channel=Channel.EMAIL,
                by=Actor("a", Role.AGENT),
                occurred_at=WHEN,
            )
        out = tmp_path / "cases.csv"

        code, said = run("export", str(case_id), "--format", "csv", "-o", str(out), "--db", str(db))

        assert code == 0, said
        cells = [c for row in csv.reader(io.StringIO(out.read_text())) for c in row]
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)

    def test_html_escapes_markup(self, tmp_path: Path) -> None:
        db = tmp_path / "cases.sqlite"
        with CaseDesk.open(db) as desk:
            case_id = hostile_case(desk, f'<script>alert(1)</script><a href="x">{LINK}')
        out = tmp_path / "case.html"

        code, said = run(
            "export", str(case_id), "--format", "html", "-o", str(out), "--db", str(db)
        )

        assert code == 0, said
        page = out.read_text()
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "official refund portal" in page


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=())))  # surrogates too
def test_clean_leaves_nothing_a_terminal_obeys_and_changes_nothing_else(text: str) -> None:
    cleaned = clean(text)

    assert OBEYED.search(cleaned) is None
    assert "\n" not in cleaned
    cleaned.encode("utf-8")  # no lone surrogate: any terminal encoding can write it
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    unsafe = OBEYED.search(text) is not None or "\n" in text or surrogate
    assert (cleaned == text) == (not unsafe)


def test_an_export_is_never_written_to_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every other verb escapes a case's text; an export keeps its bytes, so a subject
    # with ESC sequences would reach the terminal raw.
    import casehistory.cli.export as export_module

    db = tmp_path / "cases.sqlite"
    assert CliRunner().invoke(main, ["stories", "--db", str(db)]).exit_code == 0
    monkeypatch.setattr(export_module, "_to_terminal", lambda: True)

    for fmt in ("jsonl", "csv", "html"):
        result = CliRunner().invoke(main, ["export", "--format", fmt, "--db", str(db)])
        assert result.exit_code == 2, result.output
        assert "an export is a file" in result.output
        assert "\x1b" not in result.output
    out = tmp_path / "cases.csv"
    result = CliRunner().invoke(
        main, ["export", "--format", "csv", "-o", str(out), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
