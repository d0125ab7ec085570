"""The settings a :class:`~casehistory.testing.CaseDeskMachine` runs with unless told
otherwise, and the desk class it opens (one that snapshots at the machine's interval)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, settings

from casehistory.desk import CaseDesk
from casehistory.domain.case import Case

__all__ = ["DEFAULTS", "DEFAULT_SETTINGS", "desk_class"]

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
"""


class _DefaultSettings:
    """The ``settings`` of each machine's ``TestCase``: :data:`DEFAULT_SETTINGS` on top of
    the profile loaded when the test runs, not the one loaded when it was imported."""

    def __get__(self, instance: object, owner: type | None = None) -> settings:
        return settings(**DEFAULT_SETTINGS)


DEFAULTS: Any = _DefaultSettings()
"""A descriptor to set as ``TestCase.settings``."""


@functools.cache
def desk_class(snapshot_interval: int | None) -> type[CaseDesk]:
    """:class:`~casehistory.CaseDesk`, snapshotting cases every ``snapshot_interval``
    events (None: the desk's own interval)."""
    if snapshot_interval is None:
        return CaseDesk
    return type("CaseDesk", (CaseDesk,), {"snapshotting_intervals": {Case: snapshot_interval}})
