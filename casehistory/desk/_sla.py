"""``desk.sla()``: a case's SLA clocks as of a moment, under the policy it opened with."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from casehistory.domain.sla import SlaClocks
from casehistory.domain.values import require_aware
from casehistory.views import CaseView
from casehistory.views.sla import view_clocks

if TYPE_CHECKING:
    from casehistory.clock import Clock
    from casehistory.domain.policies import Policies

__all__ = ["SlaQueries"]


class SlaQueries:
    """The SLA query of :class:`~casehistory.CaseDesk`."""

    if TYPE_CHECKING:  # provided by DeskBase and Queries
        clock: Clock
        policies: Policies

        def case(
            self,
            case_id: UUID,
            *,
            as_of: datetime | None = None,
            known_at: datetime | None = None,
        ) -> CaseView: ...

    def sla(self, case_id: UUID, *, as_of: datetime | None = None) -> SlaClocks:
        """The first-response and resolution clocks of a case as of ``as_of`` (default:
        the desk clock's now), under the SLA policy the case opened with (recorded on
        its opening; a case opened before terms were recorded answers under the default
        policy, v1). Only the events that occurred by ``as_of`` count, so the answer as
        of a moment never changes afterwards but by a late entry of what happened by
        then. A response dated before the opening meets the clock at the opening.
        docs/sla.md has the definitions."""
        if as_of is None:
            moment = self.clock.now()
            view = self.case(case_id)
        else:
            moment = require_aware(as_of, "as_of")
            view = self.case(case_id, as_of=moment)
        return view_clocks(view, self.policies.sla_policy(view.sla), moment)
