"""Desk commands for the lifecycle and contacts of a case.

Each method is load, act, save: the rules live in the domain, not here.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from casehistory.desk._base import DeskBase
from casehistory.desk._idempotent import command, pending
from casehistory.desk._keys import CaseSealer
from casehistory.domain.case import Case
from casehistory.domain.commands import case_id_of
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    Fault,
    LinkKind,
    Product,
)
from casehistory.errors import CaseAlreadyExists


class CaseCommands(DeskBase):
    # Lifecycle ---------------------------------------------------------------

    @command
    def open_case(
        self,
        *,
        customer: Customer,
        subject: str,
        channel: Channel,
        by: Actor,
        occurred_at: datetime,
        product: Product | None = None,
        case_id: UUID | None = None,
        command_id: str | None = None,
    ) -> UUID:
        """Open a case (status NEW) and return its id. ``case_id`` imports an existing id.

        With ``command_id`` and no ``case_id``, the id of the case is derived from the
        command id, so that a repeated opening finds the case the first one opened and
        returns its id, recording nothing (docs/operations.md, "Retrying safely")."""
        self._store.require_writable()
        asked = pending()
        identified = asked.command if asked is not None else None
        if identified is not None and case_id is None:
            case_id = case_id_of(identified.id)
        case = Case.open(
            customer=customer,
            subject=subject,
            channel=channel,
            by=by,
            occurred_at=occurred_at,
            recorded_at=self._now(),
            product=product,
            case_id=case_id,
            command=identified,
            sla=self.policies.sla.terms,
            sealer=CaseSealer(self._keys, customer.id)
            if self._sealing and isinstance(customer, Customer)
            else None,
        )
        try:
            self._save(case)  # the store refuses a taken id: CaseAlreadyExists
        except CaseAlreadyExists:
            if identified is None:
                raise
            if self._first_delivery(case.id, identified) is None:
                raise
        return case.id

    @command
    def assign_agent(
        self,
        case_id: UUID,
        *,
        agent: Actor,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Assign the case to ``agent``; a NEW case becomes OPEN."""
        return self._run(
            case_id,
            lambda c, now: c.assign_agent(
                agent=agent, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def transfer_case(
        self,
        case_id: UUID,
        *,
        to_department: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Move the case to another department; the trail shows from where to where."""
        return self._run(
            case_id,
            lambda c, now: c.transfer_case(
                to_department=to_department,
                reason=reason,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )

    @command
    def resolve_case(
        self,
        case_id: UUID,
        *,
        resolution: str,
        fault: Fault,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Resolve the case, recording whose fault the problem was."""
        return self._run(
            case_id,
            lambda c, now: c.resolve_case(
                resolution=resolution, fault=fault, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def close_case(
        self,
        case_id: UUID,
        *,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Close a resolved case. A closed case accepts nothing but a reopen."""
        return self._run(
            case_id, lambda c, now: c.close_case(by=by, occurred_at=occurred_at, recorded_at=now)
        )

    @command
    def reopen_case(
        self,
        case_id: UUID,
        *,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Reopen a resolved or closed case; it becomes OPEN."""
        return self._run(
            case_id,
            lambda c, now: c.reopen_case(
                reason=reason, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def link_cases(
        self,
        case_id: UUID,
        *,
        other_case_id: UUID,
        relation: LinkKind,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Link this case to another existing case (RELATED or DUPLICATE_OF)."""

        def link(case: Case, now: datetime) -> None:
            case.link_cases(
                other_case_id=other_case_id,
                relation=relation,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            )
            self._require_exists(other_case_id)  # after the rights, before the save

        return self._run(case_id, link)

    # Contact -----------------------------------------------------------------

    @command
    def log_contact(
        self,
        case_id: UUID,
        *,
        channel: Channel,
        direction: Direction,
        summary: str,
        by: Actor,
        occurred_at: datetime,
        demeanour: Demeanour | None = None,
        awaiting_reply: bool = False,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Log a contact and, where observed, the customer's demeanour.

        ``awaiting_reply`` (outbound only) puts the case AWAITING_CUSTOMER.
        """
        return self._run(
            case_id,
            lambda c, now: c.log_contact(
                channel=channel,
                direction=direction,
                summary=summary,
                demeanour=demeanour,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
                awaiting_reply=awaiting_reply,
                policies=self.policies,
            ),
        )

    @command
    def add_note(
        self,
        case_id: UUID,
        *,
        text: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Add an internal note."""
        return self._run(
            case_id,
            lambda c, now: c.add_note(text=text, by=by, occurred_at=occurred_at, recorded_at=now),
        )

    @command
    def record_complaint(
        self,
        case_id: UUID,
        *,
        category: ComplaintCategory,
        details: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record a complaint (bait and switch, a legal threat, ...)."""
        return self._run(
            case_id,
            lambda c, now: c.record_complaint(
                category=category, details=details, by=by, occurred_at=occurred_at, recorded_at=now
            ),
        )

    @command
    def record_commendation(
        self,
        case_id: UUID,
        *,
        agent: Actor,
        source: Actor,
        text: str,
        by: Actor,
        occurred_at: datetime,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Record praise for ``agent`` (an AGENT, SUPERVISOR or MANAGER), from ``source``
        (a customer or a supervisor); the event records the agent's id."""
        return self._run(
            case_id,
            lambda c, now: c.record_commendation(
                agent=agent,
                source=source,
                text=text,
                by=by,
                occurred_at=occurred_at,
                recorded_at=now,
            ),
        )
