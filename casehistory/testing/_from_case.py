"""From a stored case to a regression test: the commands that rebuild it, and the test.

:func:`rebuild` (``CaseHistory.from_case``) reads a case's events from a desk and turns
each back into the desk call that records it, through the one vocabulary
(:data:`~casehistory.domain.declarations.COMMAND_OF` and
:meth:`~casehistory.domain.declarations.CommandDeclaration.arguments_of`, renames
included): the same arguments, actor and business time, each text as the desk shows it
(a sealed text opened; ``[erased]`` where the customer was forgotten). The case keeps
its id, and each case it links to is opened too, with that case's own stored opening
and id, just before the first link to it (a link needs its target to exist, and with
the same ids the trail's lines read the same). ``CustomerForgotten``, recorded by the
customer-wide ``desk.forget_customer``, is rebuilt by calling it at the same point.

:func:`testcase_source` prints that as a pytest module: an in-memory desk, one call per
command, and assertions of the final view and of the trail's lines as the stored case
answers them.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from casehistory.domain import events as ev
from casehistory.domain.declarations import (
    COMMAND_OF,
    CUSTOMER_COMMANDS,
    CommandDeclaration,
    command_arguments,
)
from casehistory.domain.values import require_instance
from casehistory.errors import CaseNotFound, StoreUnavailable
from casehistory.testing._commands import Command, source
from casehistory.testing._history import CaseHistory
from casehistory.testing._layout import constant, desk_call, imports, wrapped
from casehistory.testing._model import CaseModel
from casehistory.testing._shown import as_shown
from casehistory.views.serialize import view_as_dict

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk

__all__ = ["COMPARED", "RebuiltHistory", "rebuild", "testcase_source"]

COMPARED: tuple[str, ...] = (
    "case_id",
    "version",
    "status",
    "fault",
    "customer",
    "subject",
    "product",
    "agent",
    "department",
    "resolution",
    "channel",
    "ledger",
    "open_holds",
    "escalations",
    "rmas",
    "decisions",
    "links",
    "opened_at",
    "first_response_at",
    "status_since",
    "resolved_at",
    "closed_at",
)
"""The fields of :func:`~casehistory.views.view_as_dict` a rebuilt case must answer as
the stored one does: all but the store's own (``last_recorded_at``, ``digest``, the
``recorded_at`` of ``status_changes``, which are compared without it) and the desk's
setting ``sla`` (the SLA terms of the desk's policies, not of the case's commands)."""

_FORGET = "forget_customer"


def _by_id(value: Mapping[UUID, Mapping[str, Any]]) -> dict[UUID, Mapping[str, Any]]:
    return dict(value)


@attrs.frozen
class RebuiltHistory(CaseHistory):
    """A :class:`CaseHistory` read back from a stored case (``CaseHistory.from_case``).

    Besides the opening and the commands: ``case_id``, the stored case's id, which the
    rebuilt case keeps; ``others``, the opening of each case it links to, by id, opened
    (with that id) just before the first command that links to it; and the customer's
    erasure where one was recorded: ``forgetting`` (the arguments of
    ``desk.forget_customer``) after the first ``forgotten_after`` commands.

    ``str()`` prints the calls, the case named ``case_1`` and the cases it links to
    ``case_2``, ``case_3``... in the order they are opened. ``apply(desk)`` makes them
    on another desk (the ids are taken on the desk the case was read from).
    """

    case_id: UUID = attrs.field(kw_only=True)
    others: Mapping[UUID, Mapping[str, Any]] = attrs.field(
        kw_only=True, factory=dict, converter=_by_id
    )
    forgetting: Mapping[str, Any] | None = attrs.field(kw_only=True, default=None)
    forgotten_after: int = attrs.field(kw_only=True, default=0)

    def names(self) -> dict[UUID, str]:
        """The variable of each case in the printed calls: ``case_1``, ``case_2``..."""
        found = {self.case_id: "case_1"}
        for kind, value in self.steps():
            if kind == "open" and value[0] not in found:
                found[value[0]] = f"case_{len(found) + 1}"
        return found

    def steps(self) -> Iterator[tuple[str, Any]]:
        """The desk calls in order: ``("open", (case_id, opening))``,
        ``("command", Command)`` and ``("forget", arguments)``."""
        yield "open", (self.case_id, self.opening)
        opened = {self.case_id}
        for index, command in enumerate(self.commands):
            if self.forgetting is not None and index == self.forgotten_after:
                yield "forget", self.forgetting
            for value in command.kwargs.values():
                if isinstance(value, UUID) and value in self.others and value not in opened:
                    opened.add(value)
                    yield "open", (value, self.others[value])
            yield "command", command
        if self.forgetting is not None and self.forgotten_after >= len(self.commands):
            yield "forget", self.forgetting

    def models(self) -> Iterator[CaseModel]:
        """The model after the opening and after each command (``len(commands) + 1``);
        the erasure is folded into the model of the command before it."""
        model = CaseModel.of_opening(self.opening, tuple(self.others))
        for kind, value in self.steps():
            if kind == "forget":
                model = model.after_forgetting()
            elif kind == "command":
                yield model
                model = model.after(value)
        yield model

    def apply(self, desk: CaseDesk) -> UUID:
        """Make every call on ``desk``: open the case with its stored id (and each case
        it links to with its own), run the commands, forget the customer where the
        stored case did; return the case's id. The desk's clock must be at or after
        every business time (:func:`testcase_source` starts it the day after the last)."""
        for kind, value in self.steps():
            if kind == "open":
                desk.open_case(case_id=value[0], **value[1])
            elif kind == "forget":
                desk.forget_customer(**value)
            else:
                value.apply(desk, self.case_id)
        return self.case_id

    def calls(self) -> list[str]:
        """The Python of each call, as :func:`testcase_source` prints them."""
        names = self.names()
        lines = []
        for kind, value in self.steps():
            if kind == "open":
                case_id, opening = value
                call = desk_call("open_case", None, {"case_id": case_id, **opening}, {})
                lines.append(f"{names[case_id]} = {call}")
            elif kind == "forget":
                lines.append("# CustomerForgotten: recorded on each of the customer's cases")
                lines.append(desk_call(_FORGET, None, value, names))
            else:
                lines.append(desk_call(value.method, "case_1", value.kwargs, names))
        return lines

    def __str__(self) -> str:
        return "\n".join(self.calls())

    def __repr__(self) -> str:
        return str(self)


def _arguments(declaration: CommandDeclaration, event: ev.CaseEvent) -> dict[str, Any]:
    """The command's arguments read back from ``event`` as the desk shows them, those at
    the method's default left out, then the actor and the business time."""
    recorded = declaration.arguments_of(event)
    arguments = {}
    for parameter in command_arguments(declaration):
        value = as_shown(recorded[parameter.name])
        if parameter.name == "case_id":
            continue
        if parameter.default is not inspect.Parameter.empty and value == parameter.default:
            continue
        arguments[parameter.name] = value
    return {**arguments, "by": event.by, "occurred_at": event.occurred_at}


def _opening(desk: CaseDesk, case_id: UUID) -> tuple[ev.CaseOpened, tuple[ev.CaseEvent, ...]]:
    events = desk.history(case_id)
    opened = events[0]
    if not isinstance(opened, ev.CaseOpened):
        raise StoreUnavailable(
            f"case {case_id} does not begin with its CaseOpened but with "
            f"{type(opened).__name__} (a row changed outside the desk?); run `casehistory verify`"
        )
    return opened, events


def rebuild(desk: CaseDesk, case_id: UUID) -> RebuiltHistory:
    """The history that rebuilds case ``case_id`` of ``desk``: ``CaseHistory.from_case``.

    Raises :class:`~casehistory.InvalidInput` for an id that is no UUID,
    :class:`~casehistory.CaseNotFound` for a case (or a linked case) not in the store."""
    require_instance(case_id, UUID, "case_id")
    opened, events = _opening(desk, case_id)
    opening = _arguments(COMMAND_OF[ev.CaseOpened], opened)
    commands: list[Command] = []
    others: dict[UUID, dict[str, Any]] = {}
    forgetting: dict[str, Any] | None = None
    forgotten_after = 0
    for event in events[1:]:
        declaration = COMMAND_OF[type(event)]
        arguments = _arguments(declaration, event)
        if declaration.name in CUSTOMER_COMMANDS:  # forget_customer: the customer's id
            forgetting = {"customer_id": opened.customer.id, **arguments}
            forgotten_after = len(commands)
            continue
        if isinstance(event, ev.CasesLinked) and event.other_case_id not in others:
            other = event.other_case_id
            try:
                linked, _ = _opening(desk, other)
            except CaseNotFound:
                raise CaseNotFound(
                    f"case {case_id} links to case {other}, which is not in this store"
                ) from None
            others[other] = _arguments(COMMAND_OF[ev.CaseOpened], linked)
        commands.append(Command(declaration.name, arguments))
    unmodelled = RebuiltHistory(
        opening,
        commands,
        CaseModel(),
        case_id=case_id,
        others=others,
        forgetting=forgetting,
        forgotten_after=forgotten_after,
    )
    *_, model = unmodelled.models()
    return attrs.evolve(unmodelled, model=model)


def _start(history: RebuiltHistory) -> datetime:
    """The clock's start: midnight UTC after the latest business time of every call."""
    times = [history.opening["occurred_at"]]
    times += [opening["occurred_at"] for opening in history.others.values()]
    times += [command.kwargs["occurred_at"] for command in history.commands]
    if history.forgetting is not None:
        times.append(history.forgetting["occurred_at"])
    latest: datetime = max(moment.astimezone(UTC) for moment in times)
    try:
        return datetime.combine(latest.date() + timedelta(days=1), time(), tzinfo=UTC)
    except OverflowError:
        return latest


def testcase_source(desk: CaseDesk, case_id: UUID) -> str:
    """A pytest module that rebuilds case ``case_id`` of ``desk`` and checks it.

    The module opens an in-memory desk whose clock starts the day after the last
    business time, makes the calls of :meth:`CaseHistory.from_case
    <casehistory.testing.CaseHistory.from_case>` (the case and each case it links to
    keep their stored ids; ``case_1`` is the case), then asserts the view's
    :data:`COMPARED` fields, its status changes (without their store times) and the
    trail's ``what`` lines, as the stored case answers them now. Texts are as the desk
    shows them: a forgotten customer's are ``[erased]`` in the calls and the answers,
    and the customer is forgotten again where the stored case was. The desk decides
    with the default :class:`~casehistory.Policies`: a case recorded under other
    policies gives other decisions, and the test says so.

    Raises :class:`~casehistory.InvalidInput` for an id that is no UUID and
    :class:`~casehistory.CaseNotFound` for a case not in the store."""
    history = rebuild(desk, case_id)
    view = view_as_dict(desk.case(case_id))
    expected = {name: view[name] for name in COMPARED}
    changes = [
        {"status": change["status"], "occurred_at": change["occurred_at"]}
        for change in view["status_changes"]
    ]
    what = [line.what for line in desk.trail(case_id)]
    body = [
        "def test_stored_case():",
        f"    clock = SteppingClock({source(_start(history))})",
        '    with CaseDesk.open(":memory:", clock=clock) as desk:',
    ]
    for call in history.calls():
        body += wrapped(call, " " * 8)
    body += [
        "",
        "        view = view_as_dict(desk.case(case_1))",
        "        trail = desk.trail(case_1)",
        "    assert {name: view[name] for name in VIEW} == VIEW",
        "    assert [",
        '        {"status": change["status"], "occurred_at": change["occurred_at"]}',
        '        for change in view["status_changes"]',
        "    ] == STATUS_CHANGES",
        "    assert [line.what for line in trail] == TRAIL",
    ]
    code = "\n".join(body) + "\n"
    forgotten = (
        "\nThe customer was forgotten: their texts are [erased] here as in the store, and\n"
        "the test forgets them where the stored case did.\n"
        if history.forgetting is not None
        else ""
    )
    head = (
        f'"""Regression test of case {case_id}:\nrebuilt from its stored events.\n\n'
        "Printed by `casehistory testcase` (casehistory.testing.testcase_source): one desk\n"
        "call per recorded event, with its arguments, actor and business time; texts as the\n"
        "desk shows them; store times from the clock below. The view's fields that do not\n"
        "depend on store times, ids or digests, and the trail, are those of the stored case.\n"
        f'{forgotten}"""\n\n'
    )
    constants = (
        constant("VIEW", expected)
        + "\n"
        + constant("STATUS_CHANGES", changes)
        + "\n"
        + constant("TRAIL", what)
    )
    return head + "\n".join(imports(code)) + "\n\n" + constants + "\n\n" + code


testcase_source.__test__ = False  # type: ignore[attr-defined]  # pytest: not a test itself
