"""Hostile locations and files given to ``CaseDesk.open``: every one is a CaseHistoryError
with a one-line message, never a raw exception, and no file appears where none was."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from casehistory import (
    CaseDesk,
    CaseHistoryError,
    InvalidInput,
    NotACaseStore,
    StoreIsReadOnly,
    StoreUnavailable,
)
from casehistory.stories import STORIES


@pytest.mark.parametrize("location", [None, 42, 4.2, b"cases.sqlite", ["cases"], True])
def test_a_location_of_the_wrong_type_is_invalid_input(
    location: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(InvalidInput, match="store location must be a str or a path"):
        CaseDesk.open(location)  # type: ignore[arg-type]

    assert list(tmp_path.iterdir()) == []  # no file named None or 42


@pytest.mark.parametrize("location", ["\x00", "cases\x00.sqlite", "postgresql://h/d\x00b"])
@pytest.mark.parametrize("read_only", [False, True])
def test_a_nul_byte_in_a_location_is_invalid_input(
    location: str, read_only: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(InvalidInput, match="NUL byte"):
        CaseDesk.open(location, read_only=read_only)
    with pytest.raises(InvalidInput, match="NUL byte"):
        CaseDesk.open(Path(tmp_path, "a\x00b"), read_only=read_only)

    assert list(tmp_path.iterdir()) == []


def _store(path: Path) -> Path:
    with CaseDesk.open(path) as desk:
        STORIES[0].tell(desk)
    return path


def _foreign_shape(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE stored_events (a, b)")
        conn.execute("INSERT INTO stored_events VALUES (1, 2)")
    conn.close()
    return path


def _other_application(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
    conn.close()
    return path


def _truncated(path: Path) -> Path:
    data = _store(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(
    ("make", "error", "said"),
    [
        (_foreign_shape, NotACaseStore, "table stored_events has the columns (a, b)"),
        (_truncated, StoreUnavailable, "database disk image is malformed"),
    ],
)
def test_a_hostile_file_is_refused_at_open(
    make: object, error: type[Exception], said: str, read_only: bool, tmp_path: Path
) -> None:
    path = make(tmp_path / "cases.sqlite")  # type: ignore[operator]
    before = path.read_bytes()

    with pytest.raises(error) as raised:
        CaseDesk.open(path, read_only=read_only)

    assert said in str(raised.value)
    assert len(str(raised.value).splitlines()) == 1
    assert path.read_bytes() == before


def test_a_writable_desk_adds_no_tables_to_another_applications_database(
    tmp_path: Path,
) -> None:
    path = _other_application(tmp_path / "invoices.sqlite")
    before = path.read_bytes()

    with pytest.raises(NotACaseStore, match=r"none of them a desk's \(its tables: invoices\)"):
        CaseDesk.open(path)

    assert path.read_bytes() == before


@pytest.mark.parametrize("read_only", [False, True])
def test_a_corrupted_page_is_a_case_history_error_at_the_first_read(
    read_only: bool, tmp_path: Path
) -> None:
    path = _store(tmp_path / "cases.sqlite")
    data = bytearray(path.read_bytes())
    data[4096:8192] = bytes(range(256)) * 16  # a page in the middle, overwritten
    path.write_bytes(bytes(data))

    with pytest.raises(CaseHistoryError), CaseDesk.open(path, read_only=read_only) as desk:
        list(desk.case_ids())


_AS_ANOTHER_USER = """
import os, sys
from casehistory import CaseDesk, CaseHistoryError
import eventsourcing.sqlite, eventsourcing.popo  # imported while the files are readable
if os.getuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
path, read_only = sys.argv[1], sys.argv[2] == "ro"
try:
    with CaseDesk.open(path, read_only=read_only) as desk:
        list(desk.case_ids())
    print("opened")
except CaseHistoryError as error:
    print(type(error).__name__, error, sep=": ")
"""


def _as_another_user(path: Path, read_only: bool) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _AS_ANOTHER_USER, str(path), "ro" if read_only else "rw"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # no traceback
    return done.stdout.strip()


@pytest.fixture
def read_only_folder() -> Iterator[Path]:
    """A store, without its -wal and -shm files, in a folder and file only their owner
    may write (read as nobody when the test runs as root). Not in tmp_path, which no
    other user may enter."""
    top = Path(tempfile.mkdtemp(prefix="casehistory-ro-"))
    top.chmod(0o755)
    folder = top / "archive"
    folder.mkdir()
    path = _store(folder / "cases.sqlite")
    for name in os.listdir(folder):
        if name != path.name:
            os.remove(folder / name)
    path.chmod(0o444)
    folder.chmod(0o555)
    yield path
    folder.chmod(0o755)
    shutil.rmtree(top)


def test_a_writable_desk_on_a_read_only_store_is_store_is_read_only(
    read_only_folder: Path,
) -> None:
    said = _as_another_user(read_only_folder, read_only=False)

    assert said.startswith("StoreIsReadOnly: cannot open the store SQLite ")
    assert "for writing: this user may not write to the folder" in said
    assert StoreIsReadOnly.__name__ in said
    assert len(said.splitlines()) == 1


def test_a_read_only_desk_that_cannot_read_a_wal_store_says_so_at_open(
    read_only_folder: Path,
) -> None:
    said = _as_another_user(read_only_folder, read_only=True)

    assert said.startswith("StoreUnavailable: cannot read the store SQLite ")
    assert "cases.sqlite-shm file beside it" in said
    assert len(said.splitlines()) == 1


def test_a_folder_this_user_may_not_enter_is_store_unavailable(read_only_folder: Path) -> None:
    hidden = read_only_folder.parent.parent
    hidden.chmod(0o700)
    try:
        for read_only in (False, True):
            said = _as_another_user(read_only_folder, read_only=read_only)

            assert said.startswith("StoreUnavailable: cannot open the store SQLite "), said
            assert "Permission denied" in said
    finally:
        hidden.chmod(0o755)
