"""A command given a ``command_id`` is fingerprinted from its arguments by name. The
desk binds a call's arguments itself (``_idempotent._Signature``) rather than through
``inspect.Signature.bind`` on every command: for every command of the desk and every
way of calling it, it must give exactly what ``bind`` gives, and raise ``TypeError``
where ``bind`` (so the call itself) would."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from casehistory import CaseDesk
from casehistory.desk._idempotent import _NOT_ARGUMENTS, _Signature


def _commands() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for name in dir(CaseDesk):
        method = getattr(CaseDesk, name)
        wrapped = getattr(method, "__wrapped__", None)
        if wrapped is not None and "command_id" in inspect.signature(wrapped).parameters:
            found.append((name, wrapped))
    return found


COMMANDS = _commands()


def _bound(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        arguments = signature.bind(*args, **kwargs).arguments
    except TypeError:
        return TypeError
    return [(k, v) for k, v in arguments.items() if k not in _NOT_ARGUMENTS]


def _ours(signature: _Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return list(signature.arguments(args, kwargs).items())
    except TypeError:
        return TypeError


def _calls(signature: inspect.Signature) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Ways of calling: right and wrong, positional and by keyword, defaults given or not."""
    parameters = list(signature.parameters.values())
    value = {p.name: object() for p in parameters}
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    required = {p.name: value[p.name] for p in parameters if p.default is p.empty}
    everything = {p.name: value[p.name] for p in parameters}
    first = positional[:2]  # self and the case id (or the first argument)
    as_args = tuple(value[n] for n in first)
    rest = {k: v for k, v in required.items() if k not in first}
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (as_args, rest),
        (as_args, {**{k: v for k, v in everything.items() if k not in first}}),
        ((value[first[0]],), {k: v for k, v in required.items() if k != first[0]}),
        (as_args, {**rest, "command_id": "c-1", "expected_version": 3}),
        (as_args, {**rest, "no_such_argument": 1}),  # unknown
        (as_args, {**rest, first[-1]: value[first[-1]]}),  # given twice
        ((*as_args, *([object()] * (len(positional) + 1))), rest),  # too many
    ]
    for missing in rest:
        calls.append((as_args, {k: v for k, v in rest.items() if k != missing}))
    return calls


def test_every_command_is_bound_here() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"open_case", "add_note", "record_payment", "issue_refund"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize(("name", "method"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_a_command_id_call_is_bound_as_signature_bind_binds_it(
    name: str, method: Callable[..., Any]
) -> None:
    signature = inspect.signature(method)
    ours = _Signature(signature)
    for args, kwargs in _calls(signature):
        assert _ours(ours, args, kwargs) == _bound(signature, args, kwargs), (name, kwargs)
