"""Failures printed as pytest functions to paste: imports, clock, desk, one call a line.

What :class:`~casehistory.testing.CaseHistory` prints (``str()``, ``repr()`` and, in a
failing Hypothesis test, a note with the test to paste) and what
:class:`~casehistory.testing.CaseDeskMachine` prints when a run fails. The pieces are
those of :func:`~casehistory.testing.testcase_source`: the calls, wrapped at 99
columns, and the imports of the names they use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from casehistory.testing._commands import OTHER_CASE, OTHER_OPENING, Command
from casehistory.testing._layout import desk_call, imports, wrapped

if TYPE_CHECKING:
    from casehistory.testing._history import CaseHistory

__all__ = [
    "BEGIN",
    "END",
    "Step",
    "call_lines",
    "history_calls",
    "machine_test",
    "module",
    "replayed_test",
    "test_under_way",
]

BEGIN = "# --- casehistory: a test to paste (it reproduces this failure) ---"
"""The line before a printed test in a Hypothesis report."""

END = "# --- end of the test to paste ---"
"""The line after it."""

_OTHER = UUID("00000000-0000-4000-8000-00000000000b")
"""Stands for :data:`OTHER_CASE` while printing: the companion is ``case_2``."""


def _named(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _OTHER if v is OTHER_CASE else v for k, v in kwargs.items()}


def call_lines(
    method: str, case: str | None, kwargs: Mapping[str, Any], names: Mapping[UUID, str]
) -> str:
    """``desk.<method>(<case>, k=v, ...)``, each case id among ``names`` by its name."""
    return desk_call(method, case, _named(kwargs), names)


def history_calls(history: CaseHistory) -> list[str]:
    """The desk calls of ``history``: ``case_1 = desk.open_case(...)``, then one call a
    command; the companion, the case its links name, is opened as ``case_2`` just before
    the first link (as :meth:`CaseHistory.apply` opens it)."""
    names = {_OTHER: "case_2"}
    lines = [f"case_1 = {call_lines('open_case', None, history.opening, {})}"]
    companion = False
    for command in history.commands:
        if not companion and OTHER_CASE in command.kwargs.values():
            lines.append(f"case_2 = {call_lines('open_case', None, OTHER_OPENING, {})}")
            companion = True
        lines.append(call_lines(command.method, "case_1", command.kwargs, names))
    return lines


def indented(lines: Iterable[str], depth: int) -> list[str]:
    """Each call wrapped to fit 99 columns at ``depth`` levels of indentation."""
    out: list[str] = []
    for line in lines:
        out += wrapped(line, "    " * depth) if line else [""]
    return out


def module(body: list[str], *, third_party: Iterable[str] = (), local: Iterable[str] = ()) -> str:
    """A test module: the imports of the names ``body`` uses, then ``body``.

    ``third_party`` import lines go after the standard library's, ``local`` ones (the
    user's module) after casehistory's."""
    code = "\n".join(body) + "\n"
    found = imports(code)
    split = found.index("")
    standard, ours = found[:split], found[split + 1 :]
    if "CLOCK_START" in _names(code):
        ours = [*ours, "from casehistory.testing import CLOCK_START"]
    if "CaseHistory" in _names(code):
        ours = [*ours, "from casehistory.testing import CaseHistory"]
    groups = [standard, sorted(set(third_party)), sorted(ours), list(local)]
    head = "\n\n".join("\n".join(group) for group in groups if group)
    return f"{head}\n\n\n{code}"


def _names(code: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z_]\w*\b", code))


def _test_name(name: str) -> str:
    return name if name.startswith("test") else f"test_{name}"


def replayed_test(
    history: CaseHistory, test: Callable[..., Any] | None, argument: str | None
) -> str:
    """The test to paste for a failing ``@given`` test ``test`` that drew ``history``
    as its argument ``argument``: the desk calls, then the test itself run on the case
    they made (read back with :meth:`CaseHistory.from_case`)."""
    body = [
        f"def {_test_name(test.__name__) + '_replayed' if test else 'test_case_history'}():",
        "    clock = SteppingClock(CLOCK_START)",
        '    with CaseDesk.open(":memory:", clock=clock) as desk:',
        *indented(history_calls(history), 2),
    ]
    local: list[str] = []
    if test is not None and argument is None:
        body.append("        # the test drew this history inside another value: check case_1 here")
    elif test is not None:
        inner = getattr(getattr(test, "hypothesis", None), "inner_test", test)
        qualname = getattr(inner, "__qualname__", test.__name__)
        top, _, rest = qualname.partition(".")
        module_name = getattr(inner, "__module__", "__main__")
        if "<locals>" not in qualname:
            local.append(f"from {module_name} import {top}")
        target = f"{qualname}.hypothesis.inner_test"
        arguments = [f"{argument}=history"]
        if rest:  # a method: a new instance of its class is ``self``
            arguments.insert(0, f"{top}()")
        body += [
            "        history = CaseHistory.from_case(desk, case_1)",
            f"    {target}({', '.join(arguments)})",
        ]
    return module(body, local=local)


def test_under_way() -> tuple[Callable[..., Any] | None, bool]:
    """The ``@given`` test whose failing example Hypothesis is printing, if any, and
    whether this is that final run (the one whose notes Hypothesis reports)."""
    from hypothesis.control import _current_build_context

    context = _current_build_context.value
    if context is None:
        return None, False
    return getattr(context, "wrapped_test", None), bool(context.is_final)


_DRAWN_HISTORY = re.compile(r"^(_histories|case_histories)\(|CaseHistory")


def history_argument(test: Callable[..., Any] | None) -> str | None:
    """The name of the argument of ``test`` drawn by :func:`case_histories` (or
    ``st.from_type(CaseHistory)``), if one is; else None."""
    given = getattr(getattr(test, "hypothesis", None), "_given_kwargs", None) or {}
    found = [name for name, strategy in given.items() if _DRAWN_HISTORY.search(repr(strategy))]
    if len(found) == 1:
        return str(found[0])
    return None


@attrs.define
class Step:
    """One desk call of a machine run: a case opened, a command accepted, or one refused
    (``refusal``: the :class:`~casehistory.testing._machine_draws.Refusal` drawn)."""

    kind: str
    case_id: UUID | None
    command: Command
    refusal: Any = None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def machine_test(machine: type, steps: Iterable[Step]) -> str:
    """The test to paste for a failing run of ``machine``: its desk calls, in
    ``with Machine.replay() as desk:``, which checks its invariants after each call."""
    names: dict[UUID, str] = {}
    lines: list[str] = []
    for step in steps:
        if step.kind == "open":
            name = f"case_{len(names) + 1}"
            if step.case_id is not None:
                names[step.case_id] = name
            lines.append(f"{name} = {call_lines('open_case', None, step.command.kwargs, {})}")
            continue
        assert step.case_id is not None
        case = names[step.case_id]
        command = step.command
        if command.method == "open_case":  # a second opening with the case's id
            call = call_lines("open_case", None, {"case_id": step.case_id, **command.kwargs}, names)
        else:
            call = call_lines(command.method, case, command.kwargs, names)
        refusal = step.refusal
        if refusal is None:
            lines.append(call)
            continue
        if refusal.back_seconds is not None:
            lines.append(f"desk.turn_clock_back({case}, seconds={refusal.back_seconds})")
        elif refusal.first is not None:
            first = call_lines(refusal.first.method, case, refusal.first.kwargs, names)
            lines.append("with desk.another_writer() as other:")
            lines.append(f"    {first.replace('desk.', 'other.', 1)}")
        lines.append(f"with pytest.raises({refusal.error.__name__}):")
        lines.append(f"    {call}")
    qualname = machine.__qualname__
    body = [
        f"def test_{_snake(qualname.replace('.', '_'))}_replayed():",
        f"    # {qualname}'s desk and clock; its invariants run after each call",
        f"    with {qualname}.replay() as desk:",
        *_indent_nested(lines, 2),
    ]
    local = []
    if "<locals>" not in qualname:
        local.append(f"from {machine.__module__} import {qualname.partition('.')[0]}")
    third = ["import pytest"] if "pytest.raises" in "\n".join(lines) else []
    return module(body, third_party=third, local=local)


def _indent_nested(lines: list[str], depth: int) -> list[str]:
    """As :func:`indented`, keeping the extra indentation of a line in a ``with``."""
    out: list[str] = []
    for line in lines:
        extra = len(line) - len(line.lstrip(" "))
        out += wrapped(line.lstrip(" "), "    " * depth + " " * extra)
    return out
