"""Forgetting a customer: their key destroyed, the erasure recorded on each of their
cases, then any key made meanwhile destroyed too (docs/data-protection.md).

The order is what makes it safe to stop at any point and run again. The key goes
first, so that no reader shows a text of theirs from the moment the erasure begins;
a case that records its erasure takes no personal text from then on (the domain
refuses it, :class:`~casehistory.errors.PersonalDataErased`); a command that sealed a
text meanwhile made a new key, which the last step destroys. A second run records
nothing where the erasure is recorded, and destroys whatever key exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from casehistory.desk._held_rules import HeldRules
from casehistory.domain import rights
from casehistory.domain._personal import plaintext_fields, require_forgettable
from casehistory.domain.values import Actor, ErasureGround, require_instance, require_text
from casehistory.errors import CaseNotFound, CustomerForgottenAlready

__all__ = ["Erasure", "Forgetting"]


@attrs.frozen
class Erasure:
    """What :meth:`~casehistory.CaseDesk.forget_customer` did."""

    customer_id: str
    cases: tuple[UUID, ...]
    """Every case of the customer, in the order they were opened."""
    recorded: tuple[UUID, ...]
    """The cases on which this call recorded the erasure (the others had it already)."""
    key_destroyed: bool
    """Whether this call destroyed the customer's key (False: it was already gone)."""


class Forgetting(HeldRules):
    def forget_customer(
        self,
        customer_id: str,
        *,
        ground: ErasureGround,
        by: Actor,
        occurred_at: datetime | None = None,
    ) -> Erasure:
        """Forget a customer: record :class:`~casehistory.events.CustomerForgotten` on
        each of their cases, then destroy their key, so that every personal text they
        gave or staff typed about them (:data:`~casehistory.events.PERSONAL`) reads as
        erased, while every digest, checkpoint and ``verify`` still holds.

        Only a ``PRIVACY_OFFICER`` may (:class:`NotAuthorised`). Refused, recording
        nothing, if any case of theirs holds personal text recorded before sealing
        existed (:class:`RecordedInPlaintext`), and if they have no case
        (:class:`CaseNotFound`). Safe to run again after a crash: cases that have their
        erasure are left as they are."""
        self._store.require_writable()
        require_text(customer_id, "customer_id")
        require_instance(by, Actor, "by")
        require_instance(ground, ErasureGround, "ground")
        rights.require_right("CustomerForgotten", by, None)
        cases = tuple(self._cases_of(customer_id))
        if not cases:
            raise CaseNotFound(f"no case of customer {customer_id!r:.80} in this store")
        pending = []
        for case_id in cases:  # all checked before anything is recorded
            state = self._load(case_id).state
            if state.forgotten:
                continue
            unsealed = tuple(
                event.originator_version
                for event in self.history(case_id)
                if plaintext_fields(event)
            )
            require_forgettable(case_id, state.customer, state.forgotten, unsealed)
            pending.append(case_id)
        destroyed = self._keys.destroy(customer_id)
        recorded = []
        for case_id in pending:
            try:
                self._run(
                    case_id,
                    lambda case, now: case.forget_customer(
                        ground=ground,
                        by=by,
                        occurred_at=now if occurred_at is None else occurred_at,
                        recorded_at=now,
                    ),
                )
            except CustomerForgottenAlready:
                continue  # another run recorded it meanwhile
            recorded.append(case_id)
        destroyed = self._keys.destroy(customer_id) or destroyed  # one made meanwhile
        self._erase_catalog()
        return Erasure(customer_id, cases, tuple(recorded), destroyed)

    def _erase_catalog(self) -> None:
        """Where the store has a catalog, bring it up to this desk's last event (the
        erasures just recorded: their rows, and on SQLite their search entries, are
        written erased), then scrub it (the WAL truncated on SQLite, catalog_cases
        vacuumed on PostgreSQL), even if a follower wrote the erasures first."""
        catalog = self.catalog
        if not catalog.status().exists:
            return  # no catalog: nothing holds the texts beside the log
        catalog.wait()
        catalog._projection.db.scrub()

    def _cases_of(self, customer_id: str) -> Iterator[UUID]:
        """The cases opened for ``customer_id``, from the openings in the log."""
        mapper = self._store.mapper
        for notification in self._openings():
            opened: Any = mapper.to_domain_event(notification)
            if opened.customer.id == customer_id:
                yield opened.originator_id
