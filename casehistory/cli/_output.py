"""What the verbs print for people: stored text is shown, never obeyed.

A case's text (a subject, a customer's name, a note, an actor id), a file's content
quoted in an error, a table name in a foreign database: any of it may hold Rich markup
(``[/bold]`` crashed ``show``; ``[link=...]`` made a live link) or bytes a terminal
obeys (ESC sequences that colour, clear the screen or make OSC 8 hyperlinks, BEL, C1
controls, bidi overrides that reorder what is read). So every line and every table
cell for people goes through :func:`clean`, which shows each such character as an
escape (``\\x1b``, ``\\u202e``), and is printed as a Rich ``Text`` on a console that
parses no markup, emoji code or highlighting. JSON goes through :func:`print_json`:
``json.dumps`` with ``ensure_ascii`` escapes every character outside ASCII, so the
exact text survives and no control reaches the terminal. docs/cli.md ("Text from a
case") shows what an escaped character looks like.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import click
from rich.console import Console
from rich.text import Text

__all__ = ["cell", "clean", "console", "print_json", "say"]

# C0 (newline and tab too: one event is one line, and a stored newline must not start
# a line that looks like another event), DEL, C1, the Unicode line and paragraph
# separators, every Bidi_Control character (U+061C, U+200E-200F, U+202A-202E,
# U+2066-2069) and lone surrogates (no terminal encoding can write them).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """``str(text)`` with every character a terminal could obey shown as an escape:
    ``\\xNN`` below U+0100 (``\\x1b`` for ESC, ``\\x0a`` for a newline), else
    ``\\uNNNN`` (``\\u202e``). Printable text, backslashes included, is unchanged."""
    return _UNSAFE.sub(_escape, str(text))


def console(*, stderr: bool = False) -> Console:
    """A console that parses no markup, emoji codes or highlighting, whatever it prints;
    wide when piped, so tables never wrap at 80."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=True,
        width=None if stream.isatty() else 200,
    )


def cell(text: object) -> Text:
    """A table cell (or any Rich renderable) showing ``text`` cleaned, never as markup."""
    return Text(clean(text))


def say(text: object = "", *, style: str = "", err: bool = False) -> None:
    """Print one line for people: ``text`` cleaned, in ``style`` on a terminal."""
    console(stderr=err).print(Text(clean(text), style=style))


def print_json(value: Any, *, indent: int | None = None) -> None:
    """Print ``value`` as JSON with every non-ASCII character escaped (``\\u001b``,
    ``\\u2028``, ``\\ud800``): the exact text, and nothing a terminal obeys."""
    click.echo(json.dumps(value, indent=indent, ensure_ascii=True))
