"""An as-of answer's rows are decoded when read, each once (desk._as_of.Loaded)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from casehistory.desk._as_of import Loaded, Row


def loaded(count: int) -> tuple[Loaded, list[int]]:
    decoded: list[int] = []

    def decode(rows: Sequence[Row]) -> list[Any]:
        decoded.extend(row[0] for row in rows)
        return [f"event {row[0]}" for row in rows]

    rows = tuple((version, "topic", b"{}") for version in range(1, count + 1))
    return Loaded(None, rows, decode), decoded


def test_rows_from_the_start_are_decoded_once_however_often_asked() -> None:
    known, decoded = loaded(10)
    assert known.between(1, 3) == ("event 1", "event 2", "event 3")
    assert known.between(2, 6) == tuple(f"event {v}" for v in range(2, 7))
    assert known.between(1, 6)[-1] == "event 6"
    assert known.events == tuple(f"event {v}" for v in range(1, 11))
    assert sorted(decoded) == list(range(1, 11))  # each once


def test_rows_elsewhere_and_peeked_rows_are_not_decoded_until_asked() -> None:
    known, decoded = loaded(10)
    assert known.between(8, 9) == ("event 8", "event 9")
    # A row whose time cannot be peeked at (here: none at all) is decoded to decide.
    assert known.occurred_between(5, 5, datetime(2026, 1, 1, tzinfo=UTC)) == ["event 5"]
    assert decoded == [8, 9, 5]
    assert known.end == 10
    assert not known.opened_again
