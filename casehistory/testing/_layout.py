"""How a printed test is laid out: a desk call as source (a case's id by its variable's
name), the imports of the names the code uses, calls wrapped one argument a line past
99 columns, and constants as Python literals. Shared by the failures the toolkit prints
(:mod:`casehistory.testing._printing`) and ``casehistory testcase``
(:mod:`casehistory.testing._from_case`)."""

from __future__ import annotations

import io
import pprint
import tokenize
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from casehistory.testing._commands import source

__all__ = ["constant", "desk_call", "imports", "literal", "wrapped"]


def _value(value: Any, names: Mapping[UUID, str]) -> str:
    if isinstance(value, UUID) and value in names:
        return names[value]
    return source(value)


def desk_call(
    method: str, case: str | None, arguments: Mapping[str, Any], names: Mapping[UUID, str]
) -> str:
    parts = [case] if case else []
    parts += [f"{name}={_value(value, names)}" for name, value in arguments.items()]
    return f"desk.{method}({', '.join(parts)})"


_IMPORTS: Mapping[str, str] = {
    "UTC": "datetime",
    "date": "datetime",
    "datetime": "datetime",
    "timedelta": "datetime",
    "timezone": "datetime",
    "Decimal": "decimal",
    "UUID": "uuid",
    "ZoneInfo": "zoneinfo",
    "view_as_dict": "casehistory.views",
}
"""Where a name the printed calls may use comes from; every other capitalised name is
imported from :mod:`casehistory` (the value types and enums, the desk, the clock)."""


def _names_used(code: str) -> set[str]:
    return {
        token.string
        for token in tokenize.generate_tokens(io.StringIO(code).readline)
        if token.type == tokenize.NAME
    }


def imports(code: str) -> list[str]:
    import casehistory

    used = _names_used(code)
    modules: dict[str, list[str]] = {}
    for name in sorted(used):
        module = _IMPORTS.get(name)
        if module is None and name in casehistory.__all__:
            module = "casehistory"
        if module is not None:
            modules.setdefault(module, []).append(name)
    standard = [m for m in modules if not m.startswith("casehistory")]
    ours = [m for m in modules if m.startswith("casehistory")]
    lines = [_import(m, modules[m]) for m in sorted(standard)]
    lines.append("")
    lines += [_import(m, modules[m]) for m in sorted(ours)]
    return lines


def _import(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(sorted(names))}"
    if len(line) <= 99:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in sorted(names)) + ")"


def wrapped(line: str, indent: str) -> list[str]:
    """A call on one line if it fits, else one argument a line."""
    if len(indent) + len(line) <= 99 or line.startswith("#"):
        return [indent + line]
    head, _, rest = line.partition("(")
    parts = _split(rest[:-1])
    return [f"{indent}{head}(", *(f"{indent}    {part}," for part in parts), f"{indent})"]


def _split(arguments: str) -> list[str]:
    """``arguments`` split at the commas between them (not inside brackets or strings)."""
    parts, depth, start = [], 0, 0
    tokens = tokenize.generate_tokens(io.StringIO(arguments).readline)
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.OP and token.string == "," and depth == 0:
            parts.append(arguments[start : token.start[1]].strip())
            start = token.end[1]
    parts.append(arguments[start:].strip())
    return [part for part in parts if part]


def literal(value: Any, indent: str = "", used: int = 0) -> str:
    """``value`` (plain data: dicts, lists, tuples, strings, numbers, None) as Python, on
    one line if it fits in 99 columns, else one item a line with trailing commas."""
    flat = pprint.pformat(value, width=10_000, sort_dicts=False)
    if (
        len(indent) + used + len(flat) <= 96
        or not isinstance(value, dict | list | tuple)
        or not value
    ):
        return flat
    inner = indent + "    "
    if isinstance(value, dict):
        items = [
            f"{inner}{key!r}: {literal(item, inner, len(repr(key)) + 3)},"
            for key, item in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{literal(item, inner)}," for item in value]
    brackets = "[]" if isinstance(value, list) else "()"
    return brackets[0] + "\n" + "\n".join(items) + f"\n{indent}{brackets[1]}"


def constant(name: str, value: Any) -> str:
    return f"{name} = {literal(value)}\n"
