"""The settings a :class:`~casehistory.testing.CaseDeskMachine` runs with unless told
otherwise, how settings a user assigns are layered over them, and the desk class it
opens (one that snapshots at the machine's interval).

A machine's ``TestCase`` is a class of :func:`test_case_for` (Hypothesis's own, but for
its metaclass): its ``settings`` are :data:`DEFAULT_SETTINGS` on top of the settings
profile loaded when the test runs, and settings assigned to it, the way the Hypothesis
docs show (``TestX.settings = settings(max_examples=500)``, ``settings = ...`` in the
body of a subclass, or ``@settings(...)`` on the machine class), change only what they
set: without this, the toolkit's deadline, health checks and step count were silently
dropped.
"""

from __future__ import annotations

import functools
import inspect
import unittest
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from casehistory.desk import CaseDesk
from casehistory.domain.case import Case

__all__ = [
    "DEFAULTS",
    "DEFAULT_SETTINGS",
    "Layered",
    "changed_in",
    "default_phases",
    "desk_class",
    "test_case_for",
]

DEFAULT_SETTINGS: Mapping[str, Any] = {
    "stateful_step_count": 20,
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "report_multiple_bugs": False,
}
"""What a machine's ``TestCase.settings`` changes in the loaded settings profile.

- ``stateful_step_count=20`` (Hypothesis: 50): every planted bug of the project's
  tests is found within 20 steps, and shorter runs shrink faster;
- ``deadline=None``: a step's time varies with the length of the case and the store;
- every health check suppressed, as for any ``RuleBasedStateMachine.TestCase``;
- ``report_multiple_bugs=False``: one bug often breaks several assertions, each of which
  Hypothesis would otherwise shrink and report as a bug of its own.

And the profile's ``phases`` without ``Phase.explain`` (see :func:`default_phases`).
"""


def default_phases() -> tuple[Phase, ...]:
    """The phases of the profile loaded now, but ``Phase.explain``: it ran after the
    shrink for four times as long (some 90 s of 113 for a planted bug), to annotate the
    steps of Hypothesis's own report (``state.step()``), which a machine replaces with
    the test it prints to paste. Ask for it with ``settings(phases=list(Phase))``."""
    profile = settings.default
    phases = tuple(Phase) if profile is None else profile.phases
    return tuple(phase for phase in phases if phase is not Phase.explain)


_NAMES = tuple(
    name
    for name, parameter in inspect.signature(settings.__init__).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
)
"""Every setting a settings object has (its constructor's keyword-only parameters)."""


def changed_in(given: settings) -> dict[str, Any]:
    """The settings ``given`` changes: those that differ from the profile loaded now or
    from its parent (the settings it was made from).

    A settings object does not record which values were passed to it, so a value passed
    that equals both (``settings(stateful_step_count=50)`` under Hypothesis's default
    profile) reads as not passed, and the machine's default stays: ask for it with
    ``settings(TestX.settings, stateful_step_count=50)``, whose parent has the default."""
    bases = [settings()]  # the loaded profile
    parent = getattr(given, "_fallback", None)  # Hypothesis's own, private: if it goes,
    if isinstance(parent, settings):  # only the profile tells what was changed
        bases.append(parent)
    return {
        name: getattr(given, name)
        for name in _NAMES
        if any(getattr(given, name) != getattr(base, name) for base in bases)
    }


class Layered:
    """A descriptor for ``TestCase.settings``: :data:`DEFAULT_SETTINGS` and
    :func:`default_phases`, then ``changes``, on top of the profile loaded when the
    test runs (not the one loaded when it was imported)."""

    def __init__(self, changes: Mapping[str, Any] | None = None) -> None:
        self.changes = dict(changes or {})

    def __get__(self, instance: object, owner: type | None = None) -> settings:
        return settings(**{**DEFAULT_SETTINGS, "phases": default_phases(), **self.changes})

    def __repr__(self) -> str:
        return f"Layered({self.changes!r})"


DEFAULTS: Any = Layered()
"""The ``settings`` of a machine's ``TestCase`` that no one changed."""


class _LayeredSettings(type):
    """The metaclass of a machine's ``TestCase``: settings assigned to it, or given in
    the body of a subclass, are layered over the ones it had."""

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> None:
        super().__init__(name, bases, namespace)
        given = namespace.get("settings")
        if isinstance(given, settings):
            cls.settings = given  # through __setattr__

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "settings" and isinstance(value, settings):
            inherited: dict[str, Any] = next(
                (
                    vars(klass)["settings"].changes
                    for klass in cls.__mro__[1:]
                    if isinstance(vars(klass).get("settings"), Layered)
                ),
                {},
            )
            value = Layered({**inherited, **changed_in(value)})
        super().__setattr__(name, value)


def test_case_for(machine: type[RuleBasedStateMachine]) -> type[unittest.TestCase]:
    """The ``TestCase`` of ``machine``, as Hypothesis builds it
    (``RuleBasedStateMachine._to_test_case``) but for its settings."""

    class StateMachineTestCase(unittest.TestCase, metaclass=_LayeredSettings):
        settings = DEFAULTS

        def runTest(self) -> None:
            run_state_machine_as_test(machine, settings=self.settings)

        runTest.is_hypothesis_test = True  # type: ignore[attr-defined]
        runTest._hypothesis_state_machine_class = machine  # type: ignore[attr-defined]

    StateMachineTestCase.__name__ = machine.__name__ + ".TestCase"
    StateMachineTestCase.__qualname__ = machine.__qualname__ + ".TestCase"
    return StateMachineTestCase


@functools.cache
def desk_class(snapshot_interval: int | None) -> type[CaseDesk]:
    """:class:`~casehistory.CaseDesk`, snapshotting cases every ``snapshot_interval``
    events (None: the desk's own interval)."""
    if snapshot_interval is None:
        return CaseDesk
    return type("CaseDesk", (CaseDesk,), {"snapshotting_intervals": {Case: snapshot_interval}})
