"""No verb ends in a traceback, whatever it is given (issue 10, point 5).

Every verb answers bad input with a documented exit code (0, 1 or 2: docs/cli.md) and,
when it fails, one line on standard error; no exception escapes and no output says
"Traceback". The attacks: a real store truncated at any offset or with bytes flipped,
a page overwritten, binary and empty files, a folder, SQLite files with foreign tables
and rows, rows of a real store rewritten by SQL, malformed arguments, and PostgreSQL
URLs whose password no message may show. Read-only folders and files are checked in a
subprocess: as root, ``chmod`` stops nothing, so there the subprocess runs without the
capabilities that bypass file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
CAP_FOWNER), and the test is skipped only if they cannot be dropped.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, SteppingClock
from casehistory.cli import main
from casehistory.stories import STORIES

PASSWORD = "s3cr3tpw-Zq8"
HOSTILE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """The bytes of a store holding two stories, and the id of its first case."""
    path = tmp_path_factory.mktemp("real") / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    try:
        case_id = str(STORIES[0].tell(desk))
        STORIES[3].tell(desk)
    finally:
        desk.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["cases.sqlite"]
    return path.read_bytes(), case_id


def verbs(case_id: str, out: Path) -> dict[str, list[str]]:
    """Every verb, with the flags that make it read (and print) the most."""
    return {
        "list": ["list"],
        "list --json": ["list", "--json"],
        "show": ["show", case_id],
        "show --json": ["show", case_id, "--json", "--as-of", "2026-06-05"],
        "trail": ["trail", case_id],
        "trail --json": ["trail", case_id, "--json"],
        "verify": ["verify"],
        "verify CASE": ["verify", case_id],
        "verify --rules": ["verify", "--rules", "--json"],
        "export jsonl": ["export", "--format", "jsonl"],
        "export csv": ["export", "--format", "csv", "-o", str(out / "cases.csv")],
        "export html": ["export", case_id, "--format", "html", "-o", str(out / "case.html")],
        "checkpoint": ["checkpoint"],
        "keygen": ["keygen", "-o", str(out / "signing.key")],
        "stories": ["stories"],
        "testcase": ["testcase", case_id],
        "forget": ["forget", "C-1", "--ground", "OBJECTION", "--by", "p.osei"],
    }


VERBS = list(verbs("", Path()))


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, env={"CASEHISTORY_DB": None, "FORCE_COLOR": None})


def assert_answered(result: Result, args: list[str]) -> None:
    """One documented exit code, one line of error, no traceback, no password."""
    escaped = result.exception
    if escaped is not None and not isinstance(escaped, SystemExit):
        trace = "".join(traceback.format_exception(escaped))
        pytest.fail(f"{args}: {type(escaped).__name__} escaped\n{trace}")
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output, (args, result.output)
    assert PASSWORD not in result.output, (args, result.output)
    errors = result.stderr.splitlines()
    if result.exit_code == 1 and errors:
        assert len(errors) == 1, (args, result.stderr)
        assert errors[0].startswith("Error: "), (args, result.stderr)
    if result.exit_code == 2:  # click's usage error: Usage, Try, then the error
        assert any(line.startswith("Error: ") for line in errors), (args, result.output)


@contextmanager
def fresh_folder() -> Iterator[Path]:
    """A fresh folder per Hypothesis example (tmp_path is one per test)."""
    with tempfile.TemporaryDirectory(prefix="casehistory-hostile-") as name:
        yield Path(name)


def run_every_verb(db: Path | str, case_id: str, work: Path, only: list[str] | None = None) -> None:
    out = work / "out"
    for name in only or VERBS:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        args = [*verbs(case_id, out)[name], "--db", str(db)]
        assert_answered(invoke(args), args)


# Hostile files ---------------------------------------------------------------------

Damage = Callable[[bytes], bytes]


def truncations(real: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(real)).map(lambda size: real[:size])


def flips(real: bytes) -> st.SearchStrategy[bytes]:
    def flip(changes: list[tuple[int, int]]) -> bytes:
        damaged = bytearray(real)
        for offset, mask in changes:
            damaged[offset] ^= mask
        return bytes(damaged)

    change = st.tuples(st.integers(0, len(real) - 1), st.integers(1, 255))
    return st.lists(change, min_size=1, max_size=24).map(flip)


def overwritten_pages(real: bytes) -> st.SearchStrategy[bytes]:
    page = int.from_bytes(real[16:18], "big")

    def overwrite(number: int, fill: bytes) -> bytes:
        start = number * page
        garbage = (fill * (page // len(fill) + 1))[:page]
        return real[:start] + garbage + real[start + page :]

    return st.builds(overwrite, st.integers(0, len(real) // page - 1), st.binary(min_size=1))


def garbage() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(b""),
        st.binary(max_size=8192),
        st.binary(max_size=8192).map(lambda tail: b"SQLite format 3\x00" + tail),
    )


class TestHostileFiles:
    @HOSTILE_SETTINGS
    @given(data=st.data())
    def test_a_damaged_store_is_one_line_on_every_verb(
        self, real_store: tuple[bytes, str], data: st.DataObject
    ) -> None:
        real, case_id = real_store
        damaged = data.draw(
            st.one_of(truncations(real), flips(real), overwritten_pages(real), garbage())
        )
        verb = data.draw(st.sampled_from(VERBS))
        with fresh_folder() as folder:
            db = folder / "cases.sqlite"
            db.write_bytes(damaged)

            run_every_verb(db, case_id, folder, only=[verb])

    @pytest.mark.parametrize("verb", VERBS)
    def test_a_folder_is_one_line(
        self, verb: str, real_store: tuple[bytes, str], tmp_path: Path
    ) -> None:
        (tmp_path / "store.sqlite").mkdir()

        run_every_verb(tmp_path / "store.sqlite", real_store[1], tmp_path, only=[verb])


COLUMNS = ["originator_id", "originator_version", "topic", "state", "notification_id", "body"]
VALUES = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(
        [
            "casehistory.domain.events:CaseOpened",
            "casehistory.domain.case:Case",
            "0f037d2ea03f4b1ca9d5f2cec34b5c67",
            "0f037d2e-a03f-4b1c-a9d5-f2cec34b5c67",
            b"{}",
            b'{"timestamp":1}',
            b"\xff\xfe",
        ]
    ),
)


@st.composite
def foreign_schemas(draw: st.DrawFn) -> list[tuple[str, list[str], list[tuple[object, ...]]]]:
    """Tables named like a desk's (or not), with columns like a desk's (or not)."""
    tables = []
    names = draw(
        st.lists(
            st.sampled_from(["stored_events", "stored_snapshots", "invoices"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    for name in names:
        columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True))
        rows = draw(st.lists(st.tuples(*[VALUES] * len(columns)), max_size=4))
        tables.append((name, columns, rows))
    return tables


class TestForeignDatabases:
    @HOSTILE_SETTINGS
    @given(schema=foreign_schemas(), data=st.data())
    def test_a_foreign_schema_is_one_line(
        self,
        real_store: tuple[bytes, str],
        schema: list[tuple[str, list[str], list[tuple[object, ...]]]],
        data: st.DataObject,
    ) -> None:
        verb = data.draw(st.sampled_from(VERBS))
        with fresh_folder() as folder:
            db = folder / "theirs.sqlite"
            with sqlite3.connect(db) as conn:
                for name, columns, rows in schema:
                    conn.execute(f"CREATE TABLE {name} ({', '.join(columns)})")
                    marks = ", ".join("?" * len(columns))
                    conn.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
            conn.close()

            run_every_verb(db, real_store[1], folder, only=[verb])

    @HOSTILE_SETTINGS
    @given(
        column=st.sampled_from(["originator_id", "originator_version", "topic", "state"]),
        value=VALUES,
        where=st.sampled_from(["originator_version = 1", "originator_version = 3", "1"]),
        data=st.data(),
    )
    def test_rows_rewritten_by_sql_are_one_line(
        self,
        real_store: tuple[bytes, str],
        column: str,
        value: object,
        where: str,
        data: st.DataObject,
    ) -> None:
        real, case_id = real_store
        verb = data.draw(st.sampled_from(VERBS))
        with fresh_folder() as folder:
            db = folder / "cases.sqlite"
            db.write_bytes(real)
            # A duplicate key (IntegrityError) leaves the rows as they are.
            with sqlite3.connect(db) as conn, suppress(sqlite3.IntegrityError):
                conn.execute(f"UPDATE stored_events SET {column} = ? WHERE {where}", (value,))
            conn.close()

            run_every_verb(db, case_id, folder, only=[verb])

    def test_a_null_row_in_a_desks_table_used_to_escape_as_type_error(
        self, real_store: tuple[bytes, str], tmp_path: Path
    ) -> None:
        # Before: verify, export and checkpoint ended in "TypeError: one of the hex,
        # bytes, bytes_le, fields, or int arguments must be given".
        db = tmp_path / "cases.sqlite"
        db.write_bytes(real_store[0])
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO stored_events VALUES (NULL, NULL, NULL, NULL)")
        conn.close()

        run_every_verb(db, real_store[1], tmp_path)


# Malformed arguments -----------------------------------------------------------------

URLS = [
    f"postgresql://u:{PASSWORD}@127.0.0.1:abc/db",
    f"postgresql://u:{PASSWORD}@127.0.0.1:99999/db",
    f"postgresql://u:{PASSWORD}@[::1/db",
    f"postgresql://u:{PASSWORD}@127.0.0.1:1/db?connect_timeout=1",  # nothing listens
    f"postgresql://u:{PASSWORD}@127.0.0.1:0/db",
    f"postgresql://u:{PASSWORD}@127.0.0.1/",
    f"postgresql://u:{PASSWORD.replace('-', '%2D')}@127.0.0.1:1/db?connect_timeout=x",
    f"postgresql://u:{PASSWORD}@127.0.0.1:1/db?schema=x&connect_timeout=0",
    f"mysql://u:{PASSWORD}@127.0.0.1/db",
    f"postgres://u:{PASSWORD}@@127.0.0.1:1/db?connect_timeout=1",
]
TOKENS = st.one_of(
    st.sampled_from(
        [
            "--json",
            "--db",
            "--as-of",
            "--known-at",
            "--format",
            "--checkpoint",
            "--trusted-key",
            "--bundle",
            "--rules",
            "--unverified",
            "--key",
            "--previous",
            "--name",
            "-o",
            "--output",
            "csv",
            "html",
            "jsonl",
            "2026-13-45",
            "2026-03-05T12:00:00",
            "00000000-0000-0000-0000-000000000000",
            "\x00",
            "",
            "-",
            "/",
            ".",
            *URLS,
        ]
    ),
    st.text(max_size=12),
)


class TestMalformedArguments:
    @HOSTILE_SETTINGS
    @given(
        verb=st.sampled_from(
            ["list", "show", "trail", "verify", "export", "checkpoint", "keygen", "stories"]
        ),
        tokens=st.lists(TOKENS, max_size=6),
    )
    def test_any_arguments_are_answered(self, verb: str, tokens: list[str]) -> None:
        previous = Path.cwd()
        with fresh_folder() as folder:
            os.chdir(folder)  # a relative path the tokens name lands here
            try:
                args = [verb, *tokens]
                assert_answered(invoke(args), args)
            finally:
                os.chdir(previous)

    @pytest.mark.parametrize("url", URLS)
    @pytest.mark.parametrize("verb", ["list", "stories"])
    def test_no_message_shows_the_password(self, url: str, verb: str) -> None:
        args = [verb, "--db", url]

        result = invoke(args)

        assert_answered(result, args)
        assert result.exit_code in (1, 2)


# Read-only folders and files ---------------------------------------------------------

_BYPASSING = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
_PR_CAPBSET_DROP = 24


def _drop_bypassing_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _BYPASSING:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_a_user_permissions_bind() -> Callable[[], None] | None:
    """What makes ``chmod`` bind the subprocess: nothing for a user; for root, dropping
    the capabilities that bypass permissions (skip if root cannot drop them)."""
    if os.geteuid() != 0:
        return None
    probe = subprocess.run(
        ["true"], preexec_fn=_drop_bypassing_capabilities, capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("running as root without CAP_SETPCAP: chmod cannot stop this process")
    return _drop_bypassing_capabilities


def _leave_wal_files(store: Path) -> None:
    """A copy taken while a desk had the store open: -wal and -shm beside it."""
    writer = sqlite3.connect(store)
    writer.execute("CREATE TABLE scratch (x)")
    writer.execute("DROP TABLE scratch")
    writer.commit()
    for suffix in ("-wal", "-shm"):
        shutil.copy(f"{store}{suffix}", f"{store}{suffix}.copy")
    writer.close()
    for suffix in ("-wal", "-shm"):
        os.replace(f"{store}{suffix}.copy", f"{store}{suffix}")


READ_ONLY = {
    "read-only folder": (0o555, 0o644, False),
    "read-only folder and file": (0o555, 0o444, False),
    "read-only folder with -wal and -shm": (0o555, 0o444, True),
    "unreadable file": (0o755, 0o000, False),
}
READ_ONLY_VERBS = ["verify", "list", "show", "trail", "export csv", "checkpoint", "stories"]


@pytest.mark.parametrize("kind", list(READ_ONLY))
def test_a_read_only_store_is_read_or_one_line(
    kind: str, real_store: tuple[bytes, str], tmp_path: Path
) -> None:
    bind = _as_a_user_permissions_bind()
    folder_mode, file_mode, wal_files = READ_ONLY[kind]
    real, case_id = real_store
    store = tmp_path / "store"
    store.mkdir()
    db = store / "cases.sqlite"
    db.write_bytes(real)
    if wal_files:
        _leave_wal_files(db)
    out = tmp_path / "out"
    out.mkdir()
    for path in store.iterdir():
        path.chmod(file_mode)
    store.chmod(folder_mode)
    try:
        for name in READ_ONLY_VERBS:
            args = [*verbs(case_id, out)[name], "--db", str(db)]
            ran = subprocess.run(
                [sys.executable, "-m", "casehistory", *args],
                preexec_fn=bind,
                capture_output=True,
                text=True,
                env={k: v for k, v in os.environ.items() if k != "CASEHISTORY_DB"},
                timeout=120,
                check=False,
            )
            said = ran.stdout + ran.stderr
            assert ran.returncode in (0, 1, 2), (kind, name, said)
            assert "Traceback" not in said, (kind, name, said)
            if ran.returncode:
                assert ran.stderr.splitlines()[-1].startswith("Error: "), (kind, name, said)
            if ran.returncode == 1:
                assert len(ran.stderr.splitlines()) == 1, (kind, name, said)
    finally:
        store.chmod(stat.S_IRWXU)
        for path in store.iterdir():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
