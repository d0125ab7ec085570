"""Hypothesis strategies for casehistory: values, single commands, and whole case histories
that a :class:`~casehistory.CaseDesk` accepts command after command.

Values: :func:`money`, :func:`currencies`, :func:`actors`, :func:`customers`,
:func:`products` and :func:`instants` (timezone-aware business times before
:data:`CLOCK_START`). Commands: :func:`commands` (one well-typed command, whatever the
case) and :func:`case_histories` (a case and a run of commands, valid by construction).
Rules: :func:`invalid_commands` (a history, then a command the desk must refuse, and the
error it must raise). For state machines: :func:`next_command` and
:func:`next_invalid_command` draw one step from a :class:`~casehistory.testing.CaseModel`.

Every command is a :class:`~casehistory.testing.Command`, printed as the Python that runs
it; a history prints as a script, one command a line, so a failing example reads as the
steps that reproduce it. Use a desk with the default policies and a clock at or after
:data:`CLOCK_START`:

>>> from hypothesis import given
>>> from casehistory import CaseDesk, SteppingClock
>>> from casehistory.testing.strategies import CLOCK_START, case_histories
>>> @given(case_histories(max_commands=10))
... def test_the_desk_agrees_with_the_model(history):
...     desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
...     case_id = history.apply(desk)
...     assert desk.case(case_id).status is history.model.status
>>> test_the_desk_agrees_with_the_model()

Importing this module registers :func:`money`, :func:`actors`, :func:`customers`,
:func:`products`, :func:`commands` and :func:`case_histories` for ``st.from_type()``
(and so for ``st.builds()`` of classes with fields of those types); so does importing
:mod:`casehistory.testing` once Hypothesis is imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from casehistory.errors import CaseHistoryError
from casehistory.testing._commands import EVENT_OF, Command
from casehistory.testing._coverage import LABELS, PLANS
from casehistory.testing._histories import Histories
from casehistory.testing._history import CaseHistory
from casehistory.testing._next_commands import next_command, next_invalid_command
from casehistory.testing._refusals import draw_refusal
from casehistory.testing._steps import draw_free
from casehistory.testing._values import (
    CLOCK_START,
    CURRENCIES,
    actors,
    currencies,
    customers,
    instants,
    money,
    products,
)
from casehistory.testing._vocabulary import STEPS

__all__ = [
    "CLOCK_START",
    "COVERAGE_LABELS",
    "CURRENCIES",
    "actors",
    "case_histories",
    "commands",
    "currencies",
    "customers",
    "instants",
    "invalid_commands",
    "money",
    "next_command",
    "next_invalid_command",
    "products",
]


def commands(*, methods: Iterable[str] | None = None) -> st.SearchStrategy[Command]:
    """Single :class:`~casehistory.testing.Command` values for any desk method after
    ``open_case`` (or one of ``methods``, e.g. ``["record_payment", "issue_refund"]``).

    Each is well-typed and looks valid: texts are non-blank, money is positive, the
    actor's role may record the event, business times come from :func:`instants`. But
    it is drawn without regard to any case, so a desk may refuse it (an RMA it never
    issued, a refund above what was paid, a status the table forbids), always with a
    :class:`~casehistory.CaseHistoryError`. For commands a case accepts, draw
    :func:`case_histories` or :func:`next_command`. Shrinking: towards ``add_note`` (or
    the first of ``methods`` in the desk's order), then each argument as its own
    strategy shrinks (texts towards ``'0'``, money towards ``Money('0.01', 'EUR')``,
    actors towards the first of the cast allowed, times towards 2026-01-01 00:00 UTC).

    >>> from hypothesis import given
    >>> from casehistory.testing.strategies import commands
    >>> @given(commands(methods=["record_payment"]))
    ... def test_payments(command):
    ...     assert command.kwargs["amount"].amount > 0
    ...     assert repr(command).startswith("desk.record_payment(case, amount=Money(")
    >>> test_payments()
    """
    if methods is None:
        steps = list(STEPS)
    else:
        if isinstance(methods, str) or not isinstance(methods, Iterable):
            raise InvalidArgument(f"methods={methods!r} must be None or a collection of names")
        wanted = set(methods)
        unknown = sorted(wanted - set(EVENT_OF))
        if unknown or not wanted:
            raise InvalidArgument(
                f"methods={methods!r} must name CaseDesk commands after open_case; "
                f"unknown: {', '.join(unknown) or 'none given'}"
            )
        steps = [step for step in STEPS if step.method in wanted]
    return st.sampled_from(steps).flatmap(lambda step: _free(step))


@st.composite
def _free(draw: st.DrawFn, step: Any) -> Command:
    return draw_free(draw, step)


def _count(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidArgument(f"{name}={value!r} must be a whole number >= 0")
    return value


COVERAGE_LABELS: tuple[str, ...] = LABELS
"""The labels a history reports with ``hypothesis.event()`` (each prefixed
``history: ``) and that ``case_histories(reaching=...)`` accepts."""


def _reaching(value: object) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else value
    if value is None:
        return ()
    if not isinstance(names, Iterable) or not all(isinstance(n, str) for n in names):
        raise InvalidArgument(f"reaching={value!r} must be None, a label or a list of labels")
    chosen = tuple(names)
    unknown = [n for n in chosen if n not in PLANS]
    if unknown or not chosen:
        raise InvalidArgument(
            f"reaching={value!r}: unknown label {', '.join(map(repr, unknown)) or '(none given)'}"
            f"; the labels are {', '.join(map(repr, LABELS))}"
        )
    return chosen


def case_histories(
    *,
    min_commands: int = 0,
    max_commands: int = 30,
    reaching: str | Iterable[str] | None = None,
    forward_time: bool = False,
) -> st.SearchStrategy[CaseHistory]:
    """:class:`~casehistory.testing.CaseHistory` values: a case opened with drawn facts
    (customer, subject, channel, a product or none), then ``min_commands`` to
    ``max_commands`` commands, each of which the desk accepts in turn.

    Valid by construction, never filtered: each next command is drawn only from those
    that the lifecycle table, the rights table and the ledger allow at that point, as
    an independent :class:`~casehistory.testing.CaseModel` tracks them: payments and
    refunds within what was paid, holds and releases within what is held, credit and
    goodwill above the agent limit by a supervisor, escalations decided by an allowed
    role and never the requester, RMAs through every stage, close and reopen, links to
    the case's companion (a second case, opened on first use), decisions dated by the
    business date of each command. Every event type of the vocabulary is reached; the
    commands that move a case on are drawn more often than notes, and a case closed
    along the way stays closed, ending the history, half of the time (unless it is
    still on its way to a label). ``history.model`` says what the desk must answer at
    the end; ``history.models()`` after each command.

    Coverage: each history reports what it reached as ``hypothesis.event()`` labels
    (``history: refund after reopen``...), which ``--hypothesis-show-statistics``
    lists; :data:`COVERAGE_LABELS` names them (docs/testing.md,
    "Coverage labels"). Swarm testing: at its start, each history picks up to three
    labels to pursue (maybe none), and Hypothesis is steered to generate the next step
    on the way there three times in four (the plan only weights the choices it
    generates, see Shrinking); so that each label is reached by at least a tenth of
    default histories. ``reaching`` (a label or a list of them) makes every history pursue
    those, one after the other, with room for them (``max_commands`` allowing); most
    histories reach them, not all (the drawn steps in between may spend the money a
    refund needed).

    Business times: by default each command's is drawn on its own (at or after the
    opening), so a command is often dated before the one recorded before it, as a late
    entry is; three histories in four have their times on months' edges, where a month
    in local time is not the month in UTC. ``forward_time=True`` makes each business
    time at or after the one before (up to four days later), for code that assumes
    that; the desk does not, and the default draws what it accepts.

    Shrinking: towards fewer commands (``min_commands`` of them), no labels pursued and
    times as drawn (not on months' edges); then command by command towards the first
    step the case allows (a note), with the simplest arguments (texts ``'0'``, the
    first of the cast, ``Money('0.01', 'EUR')``, no product) and business times
    towards 2026-01-01 00:00 UTC (never before the opening). Each command is drawn
    from a fixed row of choices of its own, and its step is named by a number that
    means the same step whatever the case (a step the case does not take leaves the
    slot empty); plans, the steps a case takes and months' edges only weight the
    choices Hypothesis generates, and a replay or a shrink ignores weights. So the
    shrinker drops the plan without changing a command, deletes commands one at a
    time, and those that needed a deleted one (a return, once its RMA is gone) vanish
    with it. A failure is reported as a short script of readable commands: for the
    three planted bugs of ``benchmarks/planted_bugs.py`` and seven other simple bugs
    (docs/testing.md), the shortest history that shows each. With ``reaching``, a
    slot that Hypothesis's mutations left on a step the case does not take follows
    the plan instead, so such histories may shrink a step or two above the minimum.

    Caveats: the model decides with the default :class:`~casehistory.Policies`; business
    times lie in 2026 before :data:`CLOCK_START` (use ``SteppingClock(CLOCK_START)``);
    each command takes a fixed number of Hypothesis's choices (7: so that the examples
    it mutates are seldom given up), and up to about two hundred commands fit in its
    data budget per example (300 fails the large_base_example health check), so keep
    ``max_commands`` below that.

    >>> from hypothesis import given
    >>> from casehistory import CaseDesk, SteppingClock
    >>> from casehistory.testing.strategies import CLOCK_START, case_histories
    >>> @given(case_histories(min_commands=1, max_commands=20))
    ... def test_money_adds_up(history):
    ...     desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    ...     view = desk.case(history.apply(desk))
    ...     assert view.version == len(history.commands) + 1
    ...     assert view.ledger == history.ledger
    >>> test_money_adds_up()
    """
    low, high = _count(min_commands, "min_commands"), _count(max_commands, "max_commands")
    if low > high:
        raise InvalidArgument(f"min_commands={low} is more than max_commands={high}")
    if not isinstance(forward_time, bool):
        raise InvalidArgument(f"forward_time={forward_time!r} must be True or False")
    labels = _reaching(reaching)
    if forward_time and "late entry" in labels:
        raise InvalidArgument(
            "reaching='late entry' asks for a business time earlier than one before it, "
            "which forward_time=True rules out; drop one of them"
        )
    return Histories(low, high, labels, forward_time)


@st.composite
def _invalid(
    draw: st.DrawFn, low: int, high: int
) -> tuple[CaseHistory, Command, type[CaseHistoryError]]:
    history = draw(Histories(low, high))
    refused, error = draw_refusal(draw, history.model)
    return history, refused, error


def invalid_commands(
    *, min_commands: int = 0, max_commands: int = 20
) -> st.SearchStrategy[tuple[CaseHistory, Command, type[CaseHistoryError]]]:
    """``(history, command, error)``: a valid :func:`case_histories` history, a command
    the desk must refuse after it, and the exact error class the refusal raises.

    The command breaks one rule, and no rule the desk checks before it: an actor whose
    role may not record the event (an auditor, a customer, a vendor taking a payment),
    a naive or future business time, the lifecycle table (``CaseIsClosed`` on a closed
    case, ``EscalationAlreadyPending`` when one is pending), refunds above what was paid
    or past the return window by an agent, goodwill or credit above the limit, denying
    a refund never requested, releases above or beside a hold, unknown or reused hold
    and RMA references, RMA steps out of order, a repair with a cover the case does not
    support, deciding one's own escalation or one for another role, an entitlement check
    without a product, a transfer to the same department, a commendation or assignment
    naming the wrong people, a link to a case that does not exist, a second ``open_case``
    with the case's id (``CaseAlreadyExists``). Errors of the store are not drawn here:
    :class:`~casehistory.testing.CaseDeskMachine` turns its clock back and adds a second
    writer for those. Rules that only some states can break are drawn more often when
    the history allows them.

    Shrinking: the history as :func:`case_histories` shrinks (towards fewer commands,
    each the simplest), then the command as :func:`next_invalid_command` (the first
    rule the history lets it break: an actor without the right). Caveats: as
    :func:`case_histories` and :func:`next_invalid_command`.

    >>> import pytest
    >>> from hypothesis import given
    >>> from casehistory import CaseDesk, SteppingClock
    >>> from casehistory.testing.strategies import CLOCK_START, invalid_commands
    >>> @given(invalid_commands(max_commands=10))
    ... def test_refused_commands_record_nothing(case):
    ...     history, command, error = case
    ...     desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    ...     case_id = history.apply(desk)
    ...     with pytest.raises(error):
    ...         command.apply(desk, case_id)
    ...     assert desk.case(case_id).version == len(history.commands) + 1
    >>> test_refused_commands_record_nothing()
    """
    low, high = _count(min_commands, "min_commands"), _count(max_commands, "max_commands")
    if low > high:
        raise InvalidArgument(f"min_commands={low} is more than max_commands={high}")
    return _invalid(low, high)


def _register_types() -> None:
    """Make ``st.from_type()`` draw casehistory's public value types with these strategies
    (each type once: after Hypothesis's entry point, this finds them registered)."""
    from casehistory.testing._from_type import register_imported

    register_imported()


_register_types()
