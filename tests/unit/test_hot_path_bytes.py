"""The hot path's shortcuts (an event made without ``trigger_event``, times formatted
once, commits without BEGIN, the shared forms of a state's index of business times)
store the same bytes as the general path: the same commands, run by two desks with
the same clock, ids, keys and nonces, one with the shortcuts turned off, leave the same
rows, events and snapshots alike, byte for byte."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import casehistory.domain.case as case_module
from casehistory import CaseDesk, Status, SteppingClock
from casehistory.desk import _keys
from casehistory.domain import _support
from casehistory.domain.case import Case
from casehistory.errors import CaseHistoryError

from ._builders import CLOCK_START, COMMANDS, drive_to


class _OftenSnapshotted(CaseDesk):
    # A snapshot (and a state commitment) every third event: each meets the shortcuts.
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: 3}


def _counting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case ids, key ids, keys and nonces drawn from counters, not from chance."""
    ids = itertools.count(1)
    monkeypatch.setattr(case_module, "uuid4", lambda: UUID(int=next(ids)))
    tokens = itertools.count(1)
    monkeypatch.setattr(secrets, "token_hex", lambda n: f"{next(tokens):0{2 * n}x}")
    draws = itertools.count(1)

    def drawn(n: int) -> bytes:
        return (next(draws).to_bytes(8, "big") * (n // 8 + 1))[:n]

    monkeypatch.setattr(os, "urandom", drawn)
    monkeypatch.setattr(_keys, "AESGCM", _CountedKeys(drawn))


class _CountedKeys:
    """AESGCM, but for its keys, drawn from a counter."""

    def __init__(self, drawn: Any) -> None:
        self._drawn = drawn

    def __call__(self, key: bytes) -> AESGCM:
        return AESGCM(key)

    def generate_key(self, bit_length: int) -> bytes:
        return bytes(self._drawn(bit_length // 8))


def _rows(path: Path) -> Iterator[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for table in ("stored_events", "stored_snapshots", "casedesk_keys"):
            yield from connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
    finally:
        connection.close()


def _history(path: Path, cache: int) -> list[tuple[Any, ...]]:
    """Every status reached by real commands, then every command tried on each case."""
    desk = _OftenSnapshotted.open(path, clock=SteppingClock(CLOCK_START), cache=cache)
    try:
        for target in Status:
            case_id = drive_to(desk, target)
            for name, command in COMMANDS.items():
                if name in ("CaseOpened", "CustomerForgotten"):
                    continue
                with contextlib.suppress(CaseHistoryError):
                    command(desk, case_id, None)
            COMMANDS["CustomerForgotten"](desk, case_id, None)
    finally:
        desk.close()
    return list(_rows(path))


def _general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_support, "_DIRECT", {})


def _on_both_paths(
    write: Callable[[Path, int], list[tuple[Any, ...]]], folder: Path, cache: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows ``write`` leaves in a store with the shortcuts, then on the general
    path, each from the same counters (ids, keys, nonces)."""
    with pytest.MonkeyPatch.context() as patch:
        _counting(patch)
        fast = write(folder / "fast.sqlite", cache)
    with pytest.MonkeyPatch.context() as patch:
        _counting(patch)
        _general_path(patch)
        general = write(folder / "general.sqlite", cache)
    return fast, general


@pytest.mark.parametrize("cache", [0, 16])
def test_the_shortcuts_store_the_bytes_of_the_general_path(tmp_path: Path, cache: int) -> None:
    fast, general = _on_both_paths(_history, tmp_path, cache)
    assert len(fast) > 300  # every status, most commands, snapshots among them
    assert any(row[2].endswith(":CaseSnapshot") for row in fast)
    assert fast == general
    assert _support._DIRECT  # the shortcut was there to take
