"""The event classes, for apps that read a case's history.

``desk.history(case_id)`` returns these, oldest first; match on their classes to build
a projection of your own::

    from casehistory.events import PaymentRecorded, RefundIssued

    paid = sum(e.amount.amount for e in desk.history(case_id) if isinstance(e, PaymentRecorded))

Every event carries ``case_id``, ``originator_version``, ``recorded_at`` (store time),
``occurred_at`` (business time), ``by`` (the actor) and ``digest``; its own fields are on
the [vocabulary](../docs/vocabulary.md) page. The same classes live in
``casehistory.domain.events``; this module is the public place to import them from.
"""

from __future__ import annotations

from casehistory.domain import events as _events
from casehistory.domain.events import *  # noqa: F403 - the names of _events.__all__

# Every name the domain module exports but its one helper: the classes stay defined in
# one place, and a new event is public here as soon as it is there.
__all__ = [name for name in _events.__all__ if name != "contact_lifecycle_key"]
