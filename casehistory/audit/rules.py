"""Lawful, not only intact: every recorded event replayed through the command that
records it.

The hash chain proves that events were not changed after they were recorded; it cannot
prove they were recorded by a desk. Anyone who can write rows (or code that reaches
eventsourcing beneath the desk) can append an event with a correct digest that no
command would ever have accepted: a refund by an auditor, a refund above what was
paid, an approval of one's own escalation. :func:`verify_rules` catches those.

For each case, in version order, it rebuilds the case as it stood before each event
and calls the domain command that records that kind of event, with the event's own
arguments, actor and both times. Policy decisions are taken *as recorded* (the command
is given the decisions its event carries, never a policy's fresh answer: see
docs/auditing.md), so what is checked is everything a desk checks: rights and
segregation of duties, the lifecycle table, store time, ledger invariants, escalation
and RMA order, the goodwill limit, exceptions to policy, and the state commitments of
snapshot versions. The command must either refuse, and the refusal names the rule, or
record an event whose digest is the stored one, which proves the stored event is
exactly what the command records. Later events are checked against the history as
recorded, so one unlawful event does not hide or cause the findings after it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from casehistory.audit._floor import Openings
from casehistory.audit._personal_rules import Erasures, ForeignKeys
from casehistory.audit._recorded import Recorded
from casehistory.audit.verify import Finding, Problem, Verification
from casehistory.desk._policy_table import recorded_policies
from casehistory.domain import events as ev
from casehistory.domain._personal import plaintext_fields
from casehistory.domain.binding import Binding
from casehistory.domain.case import Case
from casehistory.domain.chain import AS_STORED, STATE_COMMITMENT, record_of, upcast_record_of
from casehistory.domain.commands import COMMAND_FINGERPRINT, COMMAND_ID, CommandId
from casehistory.domain.declarations import COMMAND_OF, CommandDeclaration
from casehistory.domain.sealed import Sealed
from casehistory.errors import CaseHistoryError, CaseNotFound

__all__ = ["verify_rules"]


def _arguments(
    declaration: CommandDeclaration, event: ev.CaseEvent, table: Mapping[str, Binding]
) -> dict[str, Any]:
    """The command's arguments read back from its event (as its declaration says), the
    decisions as recorded, its actor and business time."""
    arguments = declaration.arguments_of(event)
    if "policies" in _parameters(getattr(Case, declaration.method)):
        arguments["policies"] = Recorded(event, table)
    return {**arguments, "by": event.by, "occurred_at": event.occurred_at}


@functools.cache
def _parameters(command: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(command).parameters)


def _replay(case: Case | None, event: ev.CaseEvent, table: Mapping[str, Binding]) -> ev.CaseEvent:
    """The event the command records on ``case`` given ``event``'s arguments."""
    if isinstance(event, ev.CaseOpened):
        opened = Case.open(
            customer=event.customer,
            subject=event.subject,  # type: ignore[arg-type]  # sealed: replayed as recorded
            channel=event.channel,
            product=event.product,
            case_id=event.originator_id,
            by=event.by,
            occurred_at=event.occurred_at,
            recorded_at=event.timestamp,
            command=_command_of(event),
            sla=vars(event).get("sla"),  # the desk's setting, like a command id
            rules=vars(event).get("rules"),  # None: recorded before rules versions
        )
        return opened.pending_events[-1]  # type: ignore[no-any-return]
    if case is None:
        raise CaseNotFound("the case has no CaseOpened before this event")
    declaration = COMMAND_OF[type(event)]
    # On a copy: the case goes on from the stored event, not from what the command made.
    case = _copy(case)
    command = getattr(case, declaration.method)
    committed = STATE_COMMITMENT in vars(event)
    case.commit_state_every = event.originator_version if committed else None
    case.__dict__["command"] = _command_of(event)
    before = len(case.pending_events)
    command(**_arguments(declaration, event, table), recorded_at=event.timestamp)
    replayed: ev.CaseEvent = case.pending_events[before]
    return replayed


def _command_of(event: ev.CaseEvent) -> CommandId | None:
    """The command id the event was recorded under, as the desk hands it to a command
    (its rule, a repeat records nothing, is the desk's and leaves no event to check)."""
    found = vars(event)
    if COMMAND_ID not in found and COMMAND_FINGERPRINT not in found:
        return None
    return CommandId(found.get(COMMAND_ID, ""), found.get(COMMAND_FINGERPRINT, ""))


def _copy(case: Case) -> Case:
    copy: Case = object.__new__(Case)
    copy.__dict__.update(case.__dict__)
    copy.__dict__["_pending_events"] = []
    copy.__dict__.pop("snapshots_due", None)
    return copy


def _unsealed(case: Case | None, event: ev.CaseEvent) -> str:
    """Why ``event`` breaks the rule of sealing ('' when it does not): on a case opened
    sealed (its customer's name a box), every personal text is sealed, since only a desk
    that seals can read such a case; a plain one was written beneath the desk."""
    opening = event if isinstance(event, ev.CaseOpened) else None
    customer = opening.customer if opening is not None else None
    if customer is None and case is not None:
        customer = case.state.customer
    if customer is None or not isinstance(customer.name, Sealed):
        return ""  # opened before sealing: its texts are plain, as recorded then
    plain = plaintext_fields(event)
    if not plain:
        return ""
    return (
        f"{type(event).__name__} holds {', '.join(plain)} unsealed on a case whose "
        "personal texts are sealed (rule: personal data: every personal text is sealed "
        "under its customer's key); no desk records it"
    )


def _same_fact(stored: ev.CaseEvent, replayed: ev.CaseEvent) -> bool:
    """Whether the command records what is stored: the same digest; for a row of an
    older class version (upcast as it is read, its digest over the record as stored,
    which plain verification checks), the same record as its class reads it today."""
    if AS_STORED in vars(stored):
        return upcast_record_of(replayed) == upcast_record_of(stored)
    return replayed.digest == stored.digest


def _overwritten(stored: ev.CaseEvent) -> str:
    """Why a row of an older class version breaks the rule of evolution ('' when it
    does not): an upcaster renames, adds and drops fields, never changes a value it
    finds, so a field of the row as stored that its upcast reads otherwise was not
    written by a desk of that version (say ``tracking_number`` in a version-1
    ``ReplacementShipped``, which its upcaster replaces by ``tracking``): the digest
    covers it, yet no view shows it."""
    if AS_STORED not in vars(stored):
        return ""
    as_stored = record_of(stored)["payload"]
    upcast = upcast_record_of(stored)["payload"]
    hidden = sorted(
        name for name in as_stored.keys() & upcast.keys() if as_stored[name] != upcast[name]
    )
    if not hidden:
        return ""
    return (
        f"{type(stored).__name__} of an older class version holds {', '.join(hidden)}, "
        "which its upcaster replaces (rule: a row holds the fields of its class version); "
        "no desk of that version records it"
    )


def _difference(stored: ev.CaseEvent, replayed: ev.CaseEvent) -> str:
    mine, theirs = upcast_record_of(replayed), upcast_record_of(stored)
    for key in ("type", "actor", "occurred_at", "recorded_at"):
        if mine[key] != theirs[key]:
            return f"its {key} is {theirs[key]!r}; the command records {mine[key]!r}"
    payload_mine, payload_theirs = mine["payload"], theirs["payload"]
    for key in sorted(set(payload_mine) | set(payload_theirs)):
        if payload_mine.get(key) != payload_theirs.get(key):
            return (
                f"its {key} is {payload_theirs.get(key)!r:.80}; the command records "
                f"{payload_mine.get(key)!r:.80}"
            )
    return "its digest is not the one the command computes from the events before it"


def _repeated_command(event: ev.CaseEvent, commands: dict[str, tuple[int, datetime]]) -> str:
    """Why ``event`` breaks the rule of command ids ('' when it does not): the events of
    one command are saved together, at one store time, so an id met again after other
    events or at another time is a command recorded twice, where a desk answers the
    repeat and records nothing."""
    command_id = vars(event).get(COMMAND_ID)
    if not isinstance(command_id, str):
        return ""
    version, at = event.originator_version, event.timestamp
    last = commands.get(command_id)
    commands[command_id] = (version, at)
    if last is None or last == (version - 1, at):  # the next event of the same save
        return ""
    return (
        f"{type(event).__name__} carries command id {command_id!r:.80}, recorded at version "
        f"{last[0]} already (rule: a command id names one command on a case; a desk "
        "answers a repeat without recording it)"
    )


def check_case(
    case_id: UUID,
    events: Iterable[ev.CaseEvent],
    table: Mapping[str, Binding] | None = None,
) -> list[Finding]:
    """The findings of one case's events, replayed in version order; with the store's
    table of policies (by key), the decisions of rules 2 are taken again."""
    findings: list[Finding] = []
    case: Case | None = None
    commands: dict[str, tuple[int, datetime]] = {}  # id -> the last event carrying it
    for event in events:
        version = event.originator_version
        repeated = _repeated_command(event, commands)
        if repeated:
            findings.append(Finding(case_id, version, Problem.UNLAWFUL, repeated))
        if isinstance(event, ev.CaseOpened) and event.originator_topic != ev.CASE_TOPIC:
            findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.UNLAWFUL,
                    f"CaseOpened names the aggregate {event.originator_topic!r:.80}, which "
                    "no desk records; the case is not replayed (nothing a row names is "
                    "imported)",
                )
            )
            return findings
        try:
            replayed = _replay(case, event, table or {})
        except CaseHistoryError as error:
            findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.UNLAWFUL,
                    f"{type(event).__name__} would have been refused: "
                    f"{type(error).__name__}: {error}",
                )
            )
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.UNLAWFUL,
                    f"{type(event).__name__} has arguments no command takes ({error})",
                )
            )
        else:
            for broken in (_unsealed(case, event), _overwritten(event)):
                if broken:
                    findings.append(Finding(case_id, version, Problem.UNLAWFUL, broken))
            if not _same_fact(event, replayed):
                findings.append(
                    Finding(
                        case_id,
                        version,
                        Problem.UNLAWFUL,
                        f"{type(event).__name__} is not what its command records: "
                        + _difference(event, replayed),
                    )
                )
        # Go on from the history as recorded, whatever the replay made of this event.
        try:
            case = event.mutate(case)
        except Exception:  # a gap or a stranger in the chain: verify reports it
            return findings
    return findings


class _Bindings:
    """The digests the store's table of policies records, and those met in the log so
    far: every decision under one id and version must carry one digest, the table's."""

    def __init__(self, table: Iterable[Binding]) -> None:
        self._table = {row.key: row.digest for row in table}
        self._seen: dict[str, tuple[str, UUID, int]] = {}

    def check(self, case_id: UUID, history: Iterable[ev.CaseEvent]) -> list[Finding]:
        findings = []
        for event in history:
            digests = vars(event).get("policy_digests")
            if not isinstance(digests, dict):
                continue
            for key, digest in digests.items():
                problem = self._problem(key, digest, case_id, event.originator_version)
                if problem:
                    findings.append(
                        Finding(
                            case_id,
                            event.originator_version,
                            Problem.UNLAWFUL,
                            f"{type(event).__name__} records {key} with parameters "
                            f"{str(digest)[:12]}...: {problem} (rule: a policy's id and "
                            "version name one set of parameters)",
                        )
                    )
        return findings

    def _problem(self, key: str, digest: str, case_id: UUID, version: int) -> str:
        first = self._seen.setdefault(key, (digest, case_id, version))
        recorded = self._table.get(key)
        if recorded is None:
            return "the store's table of policies records no parameters under it"
        if digest != recorded:
            return f"the store's table of policies records {recorded[:12]}..."
        if digest != first[0]:
            return f"case {first[1]} version {first[2]} records {first[0][:12]}..."
        return ""


def verify_rules(
    desk: Any,
    case_ids: Iterable[UUID] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Replay the named cases (default: every case) through the rules; every event no
    desk would have recorded is a :attr:`Problem.UNLAWFUL` finding naming the rule.

    Reads each case's events as the desk decodes them: verify the chains first
    (:func:`~casehistory.audit.scan.scan_log`), since an event that cannot be read is
    reported there, not here."""
    findings: list[Finding] = []
    cases = events = 0
    rows = recorded_policies(desk._recorder)
    bound = _Bindings(rows)
    openings = Openings(desk._recorder)
    keys = getattr(desk, "_keys", None)
    erasures = Erasures(keys)
    foreign = ForeignKeys(keys)
    table = {row.key: row for row in rows}
    # Every case whose opening the log holds, wherever it lies (a row moved below
    # position 1 by SQL too), in the log's order.
    for case_id in list(openings.positions) if case_ids is None else case_ids:
        try:
            history = desk.history(case_id)
        except CaseNotFound:
            findings.append(Finding(case_id, None, Problem.ABSENT, "has no event in this store"))
            continue
        except Exception as error:  # stored bytes are untrusted: any decoding failure
            reason = f"{type(error).__name__}: {error}".split("\n")[0][:160]
            findings.append(
                Finding(
                    case_id,
                    None,
                    Problem.UNREADABLE,
                    f"cannot be read to replay its rules ({reason}); run verify without --rules",
                )
            )
            continue
        cases += 1
        events += len(history)
        found = check_case(case_id, history, table)
        findings.extend(found)
        findings.extend(bound.check(case_id, history))
        findings.extend(erasures.check(case_id, history))
        findings.extend(foreign.check(case_id, history))
        if history and isinstance(history[0], ev.CaseOpened):
            lawful = not any(f.version == 1 for f in found)
            openings.add(case_id, history[0].rules, lawful=lawful)
        if progress is not None:
            progress(events)
    findings.extend(openings.findings())
    findings.extend(erasures.findings())
    return Verification(cases, events, tuple(findings))
