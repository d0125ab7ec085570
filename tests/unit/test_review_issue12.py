"""An adversarial review of issue 12's store floor of rules versions and of
``desk.allowed``, attacked from outside: SQL beneath the desk, a second desk on the same
store, argument values the probes do not reach, and an app developer's calls.

Each test is a defect found by the review, written as the behaviour that should hold;
each was marked ``xfail(strict=True)`` until it was fixed. Their docstrings say what
happened before the fix ("today")."""

from __future__ import annotations

import inspect
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest
from eventsourcing.application import Application

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Money,
    Role,
    SteppingClock,
)
from casehistory.audit.rules import verify_rules
from casehistory.audit.scan import scan_log
from casehistory.desk._loading import project
from casehistory.desk._rules_floor import FLOOR_TABLE
from casehistory.domain import events as ev
from casehistory.domain import rulebook
from casehistory.domain.case import Case
from casehistory.domain.chain import chain_digest
from casehistory.errors import CaseHistoryError, RulesBelowFloor
from casehistory.store import register_value_transcodings, store_env

AGENT = Actor("a.lee", Role.AGENT)
AUDITOR = Actor("i.audit", Role.AUDITOR)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = MONDAY + timedelta(days=400)  # the desks' store time, after every business time
FIXTURE = Path(__file__).parents[1] / "fixtures" / "store-0.1.0.sqlite"


class _Beneath(Application[UUID]):
    """eventsourcing's own save on the desk's store: code with the store's rights."""

    name = "CaseDesk"

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)


def _beneath(location: str) -> _Beneath:
    return _Beneath({**store_env(location), "IS_SNAPSHOTTING_ENABLED": "n"})


def _forge_case(location: str, *, rules: int | None = None) -> UUID:
    """A new case with a correct digest, saved beneath the desk (rules None: held to 1)."""
    app = _beneath(location)
    case = Case.open(
        customer=Customer("C-9", "Forged Customer"),
        subject="opened beneath the desk",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
        recorded_at=MONDAY + timedelta(days=300),
        rules=rules,
    )
    app.save(case)
    app.close()
    return case.id


def _append_auditors_note(location: str, case_id: UUID) -> None:
    """A NoteAdded by an AUDITOR (who writes nothing), with a correct digest."""
    app = _beneath(location)
    case = app.repository.get(case_id, projector_func=project)
    recorded_at = case.modified_on + timedelta(minutes=1)
    fields = {"text": "an auditor writes nothing"}
    digest = chain_digest(
        case_id,
        case.version + 1,
        ev.NoteAdded,
        case.state.digest,
        recorded_at,
        AUDITOR,
        MONDAY,
        fields,
    )
    case.trigger_event(
        ev.NoteAdded,
        timestamp=recorded_at,
        by=AUDITOR,
        occurred_at=MONDAY,
        digest=digest,
        **fields,
    )
    app.save(case)
    app.close()


def _move_opening_below_the_log(location: str, case_id: UUID) -> None:
    """SQL on the events table: the case's opening row takes rowid -1 (nothing in the
    row changes, so the case's chain still holds)."""
    with sqlite3.connect(location) as connection:
        connection.execute(
            "UPDATE stored_events SET rowid = -1 WHERE originator_id = ? "
            "AND originator_version = 1",
            (case_id.hex,),
        )


def _desk(location: str, clock: Any = None) -> CaseDesk:
    return CaseDesk.open(location, clock=clock or SteppingClock(LATER))


def _open_case(desk: CaseDesk, customer: str = "C-1") -> UUID:
    return desk.open_case(
        customer=Customer(customer, "Dana Whitfield"),
        subject="honest",
        channel=Channel.EMAIL,
        by=AGENT,
        occurred_at=MONDAY,
    )


def _unlawful(desk: CaseDesk) -> set[UUID]:
    return {f.case_id for f in verify_rules(desk).findings if f.case_id is not None}


# The floor of rules versions ---------------------------------------------------------


def test_a_forged_opening_moved_below_the_log_is_still_below_the_floor(tmp_path: Path) -> None:
    """Attack: on a store whose floor of rules 2 is at position 0 (a fresh store), a
    case with no rules version is saved beneath the desk and its opening's rowid set
    to -1 by SQL. Its chain still holds, and its opening now lies "before" the floor,
    where rules 1 cases are lawful. Expected: the desk refuses its commands
    (RulesBelowFloor: no desk writes at a position below 1, so the case was written
    beneath the desk) and ``verify --rules`` reports it. Today the note is accepted
    under rules 1 and ``verify_rules`` finds nothing."""
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)  # claims the floor of rules 2 at position 0
    _open_case(desk)
    desk.close()
    forged = _forge_case(location)
    _move_opening_below_the_log(location, forged)

    desk = _desk(location)
    try:
        with pytest.raises(RulesBelowFloor):
            desk.add_note(forged, text="looser rules", by=AGENT, occurred_at=MONDAY)
        assert forged in _unlawful(desk)
    finally:
        desk.close()


def test_verify_rules_replays_a_case_whose_opening_is_below_position_1(tmp_path: Path) -> None:
    """Attack: a case opened by a desk (rules 2) gets an AUDITOR's note appended
    beneath the desk (unlawful: an auditor writes nothing), then its opening's rowid
    is set to -1 by SQL. ``scan_log`` still counts the case and its chain holds, and
    the desk serves it. Expected: ``verify --rules`` replays every case the store
    holds and reports the auditor's note (or at least the opening out of the log).
    Today the case is never replayed: the outcome counts one case fewer and is ok."""
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)
    _open_case(desk, "C-0")
    hidden = _open_case(desk)
    desk.close()
    _append_auditors_note(location, hidden)
    desk = _desk(location)
    assert hidden in _unlawful(desk)  # found while its opening is in the log
    desk.close()
    _move_opening_below_the_log(location, hidden)

    desk = _desk(location)
    try:
        assert len(desk.history(hidden)) == 2  # the desk still reads (and serves) it
        outcome = verify_rules(desk)
        assert outcome.cases == 2
        assert hidden in {f.case_id for f in outcome.findings}
    finally:
        desk.close()


def test_deleting_the_floor_row_of_an_upgraded_store_hides_a_forgery(tmp_path: Path) -> None:
    """Attack: a store of 0.1.0 is upgraded (a rules-2 desk opens it for writing and
    claims its floor at the old head) and works on its old cases for a while, opening
    no new one. Someone with SQL saves a rules-1 case beneath the desk, then deletes
    the floor's row. The next desk claims the floor again at the log's head, above
    the forgery, and the order check has no rules-2 opening to compare with.
    docs/auditing.md says "a row deleted by SQL is claimed again where it stood" and
    limits what remains to "a store where no desk of rules 2 has opened for writing
    yet". Expected: the forgery is still refused (or the desk refuses to open on a
    store whose floor went missing, e.g. when its table of policies, which the same
    release creates, is there). Today it is accepted and verifies."""
    location = str(tmp_path / "old.sqlite")
    shutil.copy(FIXTURE, location)
    desk = _desk(location)  # the upgrade: claims the floor of rules 2 at the old head
    old = sorted(desk.case_ids())[0]
    desk.reopen_case(old, reason="the upgraded desk at work", by=AGENT, occurred_at=MONDAY)
    desk.close()
    forged = _forge_case(location)
    with sqlite3.connect(location) as connection:
        connection.execute(f"DELETE FROM {FLOOR_TABLE}")

    desk = _desk(location)
    try:
        with pytest.raises(RulesBelowFloor):
            desk.add_note(forged, text="looser rules", by=AGENT, occurred_at=MONDAY)
        assert forged in _unlawful(desk)
    finally:
        desk.close()


@pytest.mark.postgres
def test_postgres_a_forged_opening_moved_below_the_log_is_still_below_the_floor(
    postgres_url: str,
) -> None:
    """The same attack on PostgreSQL: the forged opening's ``notification_id`` is set
    to -1 (BIGSERIAL takes any value given). Expected: RulesBelowFloor and a finding
    of ``verify --rules``; today the note is accepted and nothing is found."""
    desk = _desk(postgres_url)
    _open_case(desk)
    desk.close()
    forged = _forge_case(postgres_url)
    desk = _desk(postgres_url)
    try:
        datastore = desk._recorder.datastore
        table = f'"{datastore.schema}".{desk._recorder.events_table_name}'
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"UPDATE {table} SET notification_id = -1 "
                "WHERE originator_id = %s AND originator_version = 1",
                (forged,),
            )
        with pytest.raises(RulesBelowFloor):
            desk.add_note(forged, text="looser rules", by=AGENT, occurred_at=MONDAY)
        assert forged in _unlawful(desk)
    finally:
        desk.close()


def test_a_desk_older_than_the_stores_floor_does_not_open_cases_it_then_refuses(
    tmp_path: Path,
) -> None:
    """Attack (an operator's rolling upgrade or rollback): a newer release (rules 3)
    has opened the store for writing and claimed its floor, as its claim writes the
    row (3, head); a desk of this release (rules 2) then opens the store. It opens a
    case under rules 2 after that floor, and then refuses every command on it with
    RulesBelowFloor, whose message says "no desk opened this case: it was written
    beneath the desk" (false: this desk opened it). Expected: a desk whose rules are
    below the store's highest floor refuses to open for writing (or refuses
    ``open_case``), naming both versions, instead of writing cases nobody may serve
    (or, at least, serves what it opened)."""
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)
    _open_case(desk)
    desk.close()
    with sqlite3.connect(location) as connection:
        (head,) = connection.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
        connection.execute(f"INSERT INTO {FLOOR_TABLE} VALUES (3, ?)", (head,))

    desk = _desk(location)
    try:
        case_id = _open_case(desk)
    except CaseHistoryError:
        return  # refused before it wrote: expected
    finally:
        desk.close()
    desk = _desk(location)  # today: opened above, and now refused, as "beneath the desk"
    try:
        desk.add_note(case_id, text="served?", by=AGENT, occurred_at=MONDAY)
    finally:
        desk.close()


def test_a_floor_row_that_is_no_number_is_a_store_error_at_open(tmp_path: Path) -> None:
    """Attack: SQL writes text into the floor's ``after_position`` (SQLite keeps it:
    the column's affinity does not refuse it). Expected: ``CaseDesk.open`` raises a
    CaseHistoryError naming the table (StoreUnavailable, as for a floor it cannot
    read); today a bare ``ValueError: invalid literal for int()`` escapes from open."""
    location = str(tmp_path / "cases.sqlite")
    _desk(location).close()
    with sqlite3.connect(location) as connection:
        connection.execute(f"UPDATE {FLOOR_TABLE} SET after_position = 'x'")
    with pytest.raises(CaseHistoryError, match=FLOOR_TABLE):
        _desk(location).close()


class _SnapshotsOften(CaseDesk):
    """A desk snapshotting every 2 events (CaseDesk snapshots every 50 by default)."""

    snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: 2}


def test_a_forged_case_without_its_opening_row_is_still_below_the_floor(tmp_path: Path) -> None:
    """Attack: beneath the desk, a rules-1 case is saved with a second event whose
    state commitment vouches for a snapshot written beside it (as a desk's own save
    writes one); the desk refuses it (RulesBelowFloor). Then SQL deletes the case's
    opening row. The desk now starts from the trusted snapshot, finds no opening
    position (``opening_positions`` has none: ``found.get(case.id, 0)``), takes 0, at
    or below the floor, and serves the case under rules 1; ``verify --rules`` does not
    list it either (no opening: not in ``case_ids``); only the chain check reports the
    gap. Expected: a case whose opening the log does not hold is refused (fail closed:
    RulesBelowFloor, or the chain's own error), not held to the loosest rules."""
    location = str(tmp_path / "cases.sqlite")
    _SnapshotsOften.open(location, clock=SteppingClock(LATER)).close()
    app = _Beneath({**store_env(location), "IS_SNAPSHOTTING_ENABLED": "y"})
    case = Case.open(
        customer=Customer("C-9", "Forged Customer"),
        subject="opened beneath the desk",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
        recorded_at=MONDAY + timedelta(days=300),
        rules=None,
    )
    case.commit_state_every = 2
    case.add_note(text="n", by=AGENT, occurred_at=MONDAY, recorded_at=MONDAY + timedelta(days=301))
    app.save(case)
    assert app.snapshots is not None
    app.snapshots.put(case.__dict__.pop("snapshots_due"))
    app.close()
    clock = SteppingClock(LATER)
    desk = _SnapshotsOften.open(location, clock=clock)
    with pytest.raises(RulesBelowFloor):  # as it should
        desk.add_note(case.id, text="looser rules", by=AGENT, occurred_at=MONDAY)
    desk.close()
    with sqlite3.connect(location) as connection:
        connection.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 1",
            (case.id.hex,),
        )

    desk = _SnapshotsOften.open(location, clock=clock)
    try:
        with pytest.raises(CaseHistoryError):
            desk.add_note(case.id, text="looser rules", by=AGENT, occurred_at=MONDAY)
    finally:
        desk.close()


def _forge_case_of_rules_3(location: str) -> UUID:
    """A case opened under rules 3, which this release does not know: what a newer
    release's desk writes (during a rolling upgrade or before a rollback), or code
    beneath the desk; saved with a correct digest."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rulebook, "RULES_VERSION", 3)
        return _forge_case(location, rules=3)


def test_a_case_held_to_rules_the_desk_does_not_know_is_refused(tmp_path: Path) -> None:
    """Attack: a case whose opening says rules 3 is in the store. This desk knows rules
    1 and 2, and its rulebook applies a rule to ``rules >= 2``, so it serves the case
    under rules 2: whatever rules 3 adds is skipped, and ``verify --rules`` calls the
    very opening unlawful ("rules must be a rules version from 1 to 2, got 3") while
    the desk serves it. Expected: the desk refuses every command on a case held to
    rules above its own RULES_VERSION (a named error saying to upgrade), as it refuses
    one below the floor."""
    location = str(tmp_path / "cases.sqlite")
    _desk(location).close()
    newer = _forge_case_of_rules_3(location)
    desk = _desk(location)
    try:
        assert newer in _unlawful(desk)  # verify says so
        with pytest.raises(CaseHistoryError):
            desk.add_note(newer, text="served under rules 2?", by=AGENT, occurred_at=MONDAY)
    finally:
        desk.close()


def test_one_forged_opening_does_not_make_every_later_case_unlawful(tmp_path: Path) -> None:
    """Attack: one forged opening that says rules 3 (itself reported: rules 3 does not
    exist here) at the start of the log. ``verify --rules``'s log-order check then
    reports every honest rules-2 case opened after it ("opened under rules 2 ...
    after case ... was opened under rules 3"): one row written by SQL turns a whole
    store's audit red and buries the real finding. Expected: only the forged case is
    reported (an opening that is itself unlawful, or above the verifier's rules, does
    not raise the bar for the openings after it)."""
    location = str(tmp_path / "cases.sqlite")
    _desk(location).close()
    forged = _forge_case_of_rules_3(location)
    desk = _desk(location)
    try:
        for customer in ("C-1", "C-2", "C-3"):
            _open_case(desk, customer)
        assert _unlawful(desk) == {forged}
    finally:
        desk.close()


@pytest.mark.parametrize(
    "damage",
    [
        f"UPDATE {FLOOR_TABLE} SET after_position = 'x'",
        f"ALTER TABLE {FLOOR_TABLE} RENAME COLUMN after_position TO moved",
    ],
)
def test_a_damaged_floor_table_does_not_stop_the_chain_audit(tmp_path: Path, damage: str) -> None:
    """Attack: SQL damages the floor's table (a text position; a renamed column). The
    auditor's read-only desk reads the floor at open, so ``CaseDesk.open(read_only=
    True)`` fails (a bare ValueError, or StoreUnavailable) and with it every CLI
    command: ``casehistory verify`` (the chains, which do not need the floor) and
    ``list`` exit with "cannot open the store". One UPDATE stops the whole audit.
    Expected: the read-only desk opens, the chains verify, and ``verify --rules``
    reports the floor's table as unreadable (a finding, the log-order check still
    run) instead of refusing the store."""
    location = str(tmp_path / "cases.sqlite")
    desk = _desk(location)
    _open_case(desk)
    desk.close()
    with sqlite3.connect(location) as connection:
        connection.execute(damage)

    reader = CaseDesk.open(location, read_only=True)
    try:
        assert scan_log(reader).ok
        outcome = verify_rules(reader)
        assert any(FLOOR_TABLE in f.detail for f in outcome.findings)
    finally:
        reader.close()


# desk.allowed ---------------------------------------------------------------------------


class _AnotherWriterBetween:
    """A shared clock (one step a read) that lets another desk record on ``case_id``
    right after its ``nth`` read: what a second desk or process on the same store does
    at any moment."""

    def __init__(self, start: datetime) -> None:
        self._clock = SteppingClock(start)
        self.between: Callable[[], None] | None = None

    def now(self) -> datetime:
        at = self._clock.now()
        between, self.between = self.between, None
        if between is not None:
            between()
        return at


def test_allowed_is_not_emptied_by_a_write_between_its_clock_and_its_load(
    tmp_path: Path,
) -> None:
    """Attack: two desks on one SQLite file share one clock (as two processes share the
    wall clock). Desk A asks ``allowed`` while desk B records a note on the case just
    after A read the clock and before A loaded the case (the race threads and
    processes hit: 4 threads asking and 3 writing on one desk got ``()`` 1 to 17 times
    in 120 calls). The note's store time is later than A's ``now``, so every dry run
    is refused (StoreTimeWentBackwards) and ``allowed`` answers ``()``, while the same
    command run for real is accepted, since ``_run`` reads the clock after loading.
    Expected: ``allowed`` offers what the desk accepts (``add_note`` among others):
    load the case first, then read the clock."""
    location = str(tmp_path / "cases.sqlite")
    clock = _AnotherWriterBetween(MONDAY + timedelta(days=1))
    first = _desk(location, clock)
    case_id = _open_case(first)
    second = _desk(location, clock)
    try:

        def note_by_the_other_desk() -> None:
            second.add_note(case_id, text="meanwhile", by=AGENT, occurred_at=MONDAY)

        clock.between = note_by_the_other_desk
        offered = [a.command for a in first.allowed(case_id, by=AGENT, occurred_at=MONDAY)]
        assert len(first.history(case_id)) == 2  # the other desk's note is recorded
        first.add_note(case_id, text="accepted for real", by=AGENT, occurred_at=MONDAY)
        assert "add_note" in offered
    finally:
        first.close()
        second.close()


def test_allowed_offers_a_commendation_to_the_agent_named_any_agent() -> None:
    """Attack: an agent whose id happens to be ``any.agent`` (the probes' placeholder)
    asks ``allowed``. Every commendation probe praises ``any.agent``, which rules 2
    refuse as self-praise (SelfCommendationForbidden), so ``record_commendation`` is
    withheld, while the desk accepts that agent recording a customer's praise of a
    colleague. Expected: offered (the probe should praise someone other than the
    actor and the sources, e.g. a name derived from ``by.id``)."""
    desk = CaseDesk.open(":memory:", clock=SteppingClock(LATER))
    actor = Actor("any.agent", Role.AGENT)
    case_id = _open_case(desk)
    # The praised agent's argument is being renamed (agent_id: str -> agent: Actor).
    named = inspect.signature(CaseDesk.record_commendation).parameters
    colleague = Actor("b.colleague", Role.AGENT)
    praised: dict[str, Any] = (
        {"agent": colleague} if "agent" in named else {"agent_id": colleague.id}
    )
    desk.record_commendation(
        case_id,
        **praised,
        source=Actor("C-1", Role.CUSTOMER),
        text="very helpful",
        by=actor,
        occurred_at=MONDAY,
    )  # accepted
    offered = [a.command for a in desk.allowed(case_id, by=actor, occurred_at=MONDAY)]
    assert "record_commendation" in offered


def test_allowed_offers_the_release_of_a_hold_of_less_than_a_cent() -> None:
    """Attack: a hold of 0.005 USD (Money takes up to 4 decimal places). The release
    probe tries 0.01, which exceeds the hold (ReleaseExceedsHold), so
    ``release_hold`` is withheld, while the desk accepts releasing the 0.005. The same
    holds for a refund when 0.005 is refundable, and for goodwill or credit within
    0.01 of a limit. docs/allowed.md: "a limit that refuses 0.01 refuses every
    amount" is false. Expected: offered with the hold's reference (probe the smallest
    amount Money takes, 0.0001, or the hold's outstanding amount itself)."""
    desk = CaseDesk.open(":memory:", clock=SteppingClock(LATER))
    case_id = _open_case(desk)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    desk.place_hold(
        case_id,
        amount=Money("0.005", "USD"),
        account="ACC-1",
        reference="HOLD-1",
        reason="fee",
        by=AGENT,
        occurred_at=MONDAY,
    )
    offered = {a.command: a for a in desk.allowed(case_id, by=AGENT, occurred_at=MONDAY)}
    desk.release_hold(
        case_id,
        reference="HOLD-1",
        amount=Money("0.005", "USD"),
        reason="fee waived",
        by=AGENT,
        occurred_at=MONDAY,
    )  # accepted
    assert "release_hold" in offered
    assert offered["release_hold"].targets == ("HOLD-1",)
