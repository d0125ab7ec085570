"""casehistory.testing: test code built on casehistory against realistic case histories.

Installed with ``pip install "casehistory[testing]"`` (Hypothesis and pytest):

- :mod:`casehistory.testing.strategies`: Hypothesis strategies for the value types,
  single commands, whole case histories the desk accepts (valid by construction), and
  commands it must refuse with the error each must raise.
- :class:`Command`, :class:`CaseHistory`: what those strategies draw; both print as the
  Python that replays them.
- :class:`CaseModel`: the independent model of one case that the histories are drawn
  from, and what the desk must answer after them; with
  :func:`~casehistory.testing.strategies.next_command` a state machine extends many
  cases one command at a time.
- :class:`CaseDeskMachine` (and :class:`SQLiteCaseDeskMachine`): a Hypothesis state
  machine driving a real desk over many cases, checking the library's invariants after
  every step; subclass it to add your own (:mod:`casehistory.testing.machine`).
- :mod:`casehistory.testing.plugin`: the pytest fixtures, registered with pytest.

``st.from_type()`` draws :class:`~casehistory.Money`, :class:`~casehistory.Actor`,
:class:`~casehistory.Customer`, :class:`~casehistory.Product`, :class:`Command` and
:class:`CaseHistory` with these strategies once they are registered: on import of this
package when Hypothesis is already imported, on import of
:mod:`casehistory.testing.strategies` (or of any name above), and by
:func:`_hypothesis_setup_hook` when Hypothesis runs it at its own import; the hook
imports neither the types nor the strategies (a type is registered when its module is
imported, its strategy imported at the first draw).

Importing this package imports nothing else (pytest loads the plugin, and with it this
package, in every run of every project): the names above are imported on first use.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casehistory.testing import strategies
    from casehistory.testing._commands import OTHER_CASE, Command
    from casehistory.testing._from_case import testcase_source
    from casehistory.testing._history import CaseHistory
    from casehistory.testing._model import CaseModel
    from casehistory.testing._rules import CAST
    from casehistory.testing._values import CLOCK_START
    from casehistory.testing.machine import CaseDeskMachine, SQLiteCaseDeskMachine

__all__ = [
    "CAST",
    "CLOCK_START",
    "OTHER_CASE",
    "CaseDeskMachine",
    "CaseHistory",
    "CaseModel",
    "Command",
    "SQLiteCaseDeskMachine",
    "strategies",
    "testcase_source",
]

_HOMES = {
    "CAST": "casehistory.testing._rules",
    "CLOCK_START": "casehistory.testing._values",
    "OTHER_CASE": "casehistory.testing._commands",
    "CaseHistory": "casehistory.testing._history",
    "CaseModel": "casehistory.testing._model",
    "Command": "casehistory.testing._commands",
    "CaseDeskMachine": "casehistory.testing.machine",
    "SQLiteCaseDeskMachine": "casehistory.testing.machine",
    "testcase_source": "casehistory.testing._from_case",
}


def __getattr__(name: str) -> Any:
    if name == "strategies" or name in _HOMES:
        import importlib

        strategies = importlib.import_module("casehistory.testing.strategies")  # registers
        if name == "strategies":
            return strategies
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _hypothesis_setup_hook() -> None:
    """Register the strategies for ``st.from_type()``.

    Hypothesis runs the functions of its ``hypothesis`` entry point group when it is
    imported; this one is named there, so it runs in every test run of every project
    with casehistory installed, and costs little: it imports neither the types nor the
    strategies. A type is registered once its module has been imported, and its
    strategy imported at the first draw (see :mod:`casehistory.testing._from_type`)."""
    from casehistory.testing._from_type import setup

    setup()


if "hypothesis" in sys.modules:  # a test module imported it first: register right away
    _hypothesis_setup_hook()
