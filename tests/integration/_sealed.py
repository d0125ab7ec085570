"""Sealed texts in stored rows, as someone with SQL access sees them (tests only).

Since issue 13 a row holds a personal text as ``{"_type_":"sealed","_data_":"<key id>.<box>"}``:
the ciphertext, never the text. An attack that used to change a text in a row changes
its box: one character of the ciphertext, or the box of another row."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

__all__ = ["BOX", "another_box", "boxes", "flip_box", "flipped", "with_box"]

BOX = re.compile(rb'"_type_":"sealed","_data_":"([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"')


def boxes(state: bytes) -> list[bytes]:
    """The boxes a stored row holds, in the order they are written."""
    return BOX.findall(state)


def flipped(box: bytes) -> bytes:
    """``box`` with one byte of its ciphertext changed (a character in the middle of its
    base64, so that the bytes it stands for change, not only padding bits)."""
    key_id, _, body = box.partition(b".")
    middle = len(body) // 2
    changed = b"A" if body[middle : middle + 1] != b"A" else b"B"
    forged = key_id + b"." + body[:middle] + changed + body[middle + 1 :]
    assert len(forged) == len(box)
    assert forged != box
    return forged


def flip_box(state: bytes, index: int = 0) -> bytes:
    """``state`` with one byte of the ciphertext of its ``index``-th box changed."""
    box = boxes(state)[index]
    return state.replace(box, flipped(box), 1)


def another_box(db: Any, case_id: UUID, version: int) -> bytes:
    """The box of a personal text of the case recorded at another version than
    ``version`` (a text that opens under the same key: a plausible forgery)."""
    for other, state in db.run(
        "SELECT originator_version, state FROM {events} WHERE originator_id = ? "
        "ORDER BY originator_version DESC",
        case_id,
    ):
        found = boxes(bytes(state))
        if other != version and found:
            return found[-1]
    raise AssertionError(f"case {case_id} holds no other sealed text")


def with_box(state: bytes, box: bytes, index: int = 0) -> bytes:
    """``state`` with its ``index``-th box replaced by ``box`` (another row's)."""
    return state.replace(boxes(state)[index], box, 1)
