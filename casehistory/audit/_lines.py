"""JSON Lines as exports write them and verifiers read them: one object per line, UTF-8,
no line break inside a record, and bytes decoded strictly, line by line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

__all__ = ["line_of", "numbered_lines"]

# JSON leaves these unescaped, yet many line readers (str.splitlines among them) end a
# line at each: escaped, a record is always exactly one line whatever reads it.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def line_of(value: dict[str, Any]) -> str:
    """One object as one line of UTF-8 JSON (readable names, no line break inside), its
    keys in their order. ``orjson`` writes exactly what ``json.dumps`` with
    ``ensure_ascii=False`` and compact separators writes (a test holds them equal), at
    a fraction of the cost; what it cannot write (an integer beyond 64 bits, a lone
    surrogate) goes through ``json``."""
    try:
        text = orjson.dumps(value).decode("utf-8")
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if "\x85" in text or "\u2028" in text or "\u2029" in text:  # rare: searched in C first
        return text.translate(_LINE_BREAKS)
    return text


def numbered_lines(
    source: bytes | Iterable[bytes] | Iterable[str],
) -> Iterator[tuple[int, str | None]]:
    """Each line of ``source`` with its number from 1, its line end removed; None for a
    line that is not valid UTF-8. ``source`` is a file's bytes, a binary file (or any
    iterable of byte lines), or text lines already decoded.

    Only ``\\n`` ends a line (what the exports write), so a stray U+2028 or carriage
    return in a forged file is inside a line, never a line of its own. The empty piece
    after a final line break is no line."""
    pieces: Iterable[bytes | str]
    pieces = source.split(b"\n") if isinstance(source, bytes) else source
    pending: tuple[int, str | None] | None = None
    for number, piece in enumerate(pieces, start=1):
        if pending is not None:
            yield pending
        text: str | None
        if isinstance(piece, bytes):
            try:
                text = piece.removesuffix(b"\n").decode("utf-8", errors="strict")
            except UnicodeDecodeError:
                text = None
        else:
            text = str(piece).removesuffix("\n")
        pending = (number, text)
    if pending is not None and pending[1] != "":
        yield pending
