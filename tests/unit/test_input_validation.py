"""Malformed input is refused before anything is recorded."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from uuid import uuid4

import pytest

from casehistory import (
    Actor,
    CaseAlreadyExists,
    CaseDesk,
    CaseNotFound,
    Channel,
    ConcurrentUpdate,
    Customer,
    Demeanour,
    Direction,
    EntitlementKind,
    Fault,
    InvalidInput,
    LinkKind,
    OccurredInFuture,
    ProductRequired,
    Role,
    Status,
)


def _load_builders() -> ModuleType:
    name = "casehistory_unit_builders"
    if name not in sys.modules:
        path = Path(__file__).with_name("_builders.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_b = _load_builders()
AGENT, T, CLOCK_START = _b.AGENT, _b.T, _b.CLOCK_START
LATER = CLOCK_START + timedelta(hours=1)  # after the events the builders recorded
memory_desk, file_desk, open_case, open_assigned_case = (
    _b.memory_desk,
    _b.file_desk,
    _b.open_case,
    _b.open_assigned_case,
)
event_count, stored_event_rows, check = _b.event_count, _b.stored_event_rows, _b.check


def _note(
    desk: CaseDesk,
    case_id: object,
    *,
    text: str = "called back",
    occurred_at: object = T,
    by: object = AGENT,
) -> None:
    desk.add_note(case_id, text=text, by=by, occurred_at=occurred_at)  # type: ignore[arg-type]


class TestBusinessTime:
    def test_a_naive_occurred_at_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(InvalidInput, match=r"occurred_at must be a timezone-aware datetime"):
            _note(desk, case_id, occurred_at=datetime(2026, 10, 1, 9, 0))

        assert event_count(desk, case_id) == before

    def test_a_date_is_not_an_occurred_at(self) -> None:
        desk = memory_desk()

        with pytest.raises(InvalidInput, match=r"occurred_at must be a timezone-aware datetime"):
            open_case(desk, occurred_at=T.date())  # type: ignore[arg-type]

        assert list(desk.case_ids()) == []

    def test_an_event_cannot_be_recorded_before_it_happened(self) -> None:
        desk = memory_desk()  # its clock reads 2026-11-01T00:00:01 at the next command
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(
            OccurredInFuture,
            match=r"occurred_at 2026-11-02T00:00:00\+00:00 is later than the store's time .* "
            r"\(rule: an event is recorded after it happened\)",
        ):
            _note(desk, case_id, occurred_at=datetime(2026, 11, 2, tzinfo=UTC))

        assert event_count(desk, case_id) == before

    def test_a_case_cannot_be_opened_in_the_future(self) -> None:
        desk = memory_desk()

        with pytest.raises(OccurredInFuture, match=r"rule: an event is recorded after it happened"):
            open_case(desk, occurred_at=CLOCK_START + timedelta(hours=1))

        assert list(desk.case_ids()) == []

    def test_business_time_in_another_timezone_is_compared_as_an_instant(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        tokyo = timezone(timedelta(hours=9))
        # 2026-11-01 08:00 in Tokyo is 2026-10-31 23:00 UTC: before the store's time.

        _note(desk, case_id, occurred_at=datetime(2026, 11, 1, 8, 0, tzinfo=tokyo))

        assert desk.history(case_id)[-1].occurred_at.utcoffset() == timedelta(hours=9)


class TestBlankTexts:
    @pytest.mark.parametrize("text", ["", "   ", "\n\t"])
    def test_a_blank_note_is_refused(self, text: str) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(InvalidInput, match=r"text must be a non-empty string"):
            _note(desk, case_id, text=text)

        assert event_count(desk, case_id) == before

    def test_a_blank_subject_is_refused(self) -> None:
        desk = memory_desk()

        with pytest.raises(InvalidInput, match=r"subject must be a non-empty string"):
            desk.open_case(
                customer=Customer("c1", "Dana"),
                subject=" ",
                channel=Channel.PHONE,
                by=AGENT,
                occurred_at=T,
            )

        assert list(desk.case_ids()) == []

    def test_a_blank_resolution_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match=r"resolution must be a non-empty string"):
            desk.resolve_case(case_id, resolution="", fault=Fault.NONE, by=AGENT, occurred_at=T)

        assert desk.case(case_id).status is Status.OPEN

    @pytest.mark.parametrize("field", ["id", "name"])
    def test_a_customer_needs_an_id_and_a_name(self, field: str) -> None:
        values = {"id": "c1", "name": "Dana", field: ""}

        with pytest.raises(InvalidInput, match=rf"{field} must be a non-empty string"):
            Customer(**values)

    def test_an_actor_needs_an_id(self) -> None:
        blank = " "

        with pytest.raises(InvalidInput, match=r"id must be a non-empty string"):
            Actor(blank, Role.AGENT)


class TestWrongTypes:
    def test_a_fault_given_as_a_string_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match=r"fault must be a Fault \(OURS, CUSTOMER"):
            desk.resolve_case(case_id, resolution="fixed", fault="NONE", by=AGENT, occurred_at=T)  # type: ignore[arg-type]

        assert desk.case(case_id).status is Status.OPEN

    @pytest.mark.parametrize(
        ("channel", "direction", "demeanour", "wrong"),
        [
            ("PHONE", Direction.INBOUND, Demeanour.CALM, "channel must be a Channel"),
            (Channel.PHONE, "INBOUND", Demeanour.CALM, "direction must be a Direction"),
            (Channel.PHONE, Direction.INBOUND, "CALM", "demeanour must be a Demeanour"),
        ],
    )
    def test_contact_vocabularies_given_as_strings_are_refused(
        self, channel: object, direction: object, demeanour: object, wrong: str
    ) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(InvalidInput, match=wrong):
            desk.log_contact(
                case_id,
                channel=channel,  # type: ignore[arg-type]
                direction=direction,  # type: ignore[arg-type]
                summary="called",
                demeanour=demeanour,  # type: ignore[arg-type]
                by=AGENT,
                occurred_at=T,
            )

        assert event_count(desk, case_id) == before

    def test_an_escalation_target_given_as_a_string_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match=r"to must be an EscalationTarget"):
            desk.request_escalation(case_id, to="VENDOR", reason="x", by=AGENT, occurred_at=T)  # type: ignore[arg-type]

        assert desk.case(case_id).escalations == ()

    def test_a_link_relation_given_as_a_string_is_refused(self) -> None:
        desk = memory_desk()
        case_id, other = open_assigned_case(desk), open_case(desk)

        with pytest.raises(InvalidInput, match=r"relation must be a LinkKind"):
            desk.link_cases(
                case_id,
                other_case_id=other,
                relation="RELATED",
                by=AGENT,
                occurred_at=T,  # type: ignore[arg-type]
            )

        assert desk.case(case_id).links == ()

    def test_a_role_given_as_a_string_is_refused(self) -> None:
        role = "AGENT"

        with pytest.raises(InvalidInput, match=r"role must be a Role"):
            Actor("a.lee", role)  # type: ignore[arg-type]

    def test_an_actor_given_as_a_string_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match=r"by must be an Actor"):
            _note(desk, case_id, by="a.lee")

    def test_only_checkable_policies_are_checked_on_demand(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match=r"entitlements are RETURN_WINDOW or WARRANTY"):
            check(desk, case_id, EntitlementKind.GOODWILL_LIMIT)

        assert desk.case(case_id).decisions == {}

    def test_a_case_id_given_as_a_string_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(InvalidInput, match=r"case_id must be a UUID"):
            _note(desk, str(case_id))


class TestFindCase:
    def test_an_unknown_case_is_not_found(self) -> None:
        desk = memory_desk()
        unknown = uuid4()

        with pytest.raises(CaseNotFound, match=rf"no case {unknown} in this store"):
            _note(desk, unknown)

        assert list(desk.case_ids()) == []

    @pytest.mark.parametrize("query", ["history", "case", "trail"])
    def test_queries_on_an_unknown_case_say_not_found(self, query: str) -> None:
        desk = memory_desk()
        unknown = uuid4()

        with pytest.raises(CaseNotFound, match=rf"no case {unknown}"):
            getattr(desk, query)(unknown)

    def test_a_link_to_an_unknown_case_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(CaseNotFound):
            desk.link_cases(
                case_id, other_case_id=uuid4(), relation=LinkKind.RELATED, by=AGENT, occurred_at=T
            )

        assert desk.case(case_id).links == ()

    def test_a_case_needs_a_product_for_an_entitlement_check(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, no_product=True)

        with pytest.raises(ProductRequired, match=r"rule: entitlement needs the product"):
            check(desk, case_id, EntitlementKind.WARRANTY)

        assert desk.case(case_id).decisions == {}


class TestOpenCase:
    def test_cannot_open_a_case_with_the_id_of_an_existing_one(self) -> None:
        desk = memory_desk()
        case_id = open_case(desk)

        with pytest.raises(CaseAlreadyExists, match=rf"case {case_id} already exists"):
            open_case(desk, case_id=case_id)

        assert event_count(desk, case_id) == 1

    def test_a_new_case_may_be_opened_with_a_chosen_id(self) -> None:
        desk = memory_desk()
        chosen = uuid4()

        case_id = open_case(desk, case_id=chosen)

        assert case_id == chosen
        assert list(desk.case_ids()) == [chosen]


class TestConcurrentUpdates:
    def test_the_second_of_two_conflicting_writers_is_refused(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        first_desk, second_desk = file_desk(store), file_desk(store)
        case_id = open_assigned_case(first_desk)
        first, second = first_desk._load(case_id), second_desk._load(case_id)
        first.add_note(text="first", by=AGENT, occurred_at=T, recorded_at=LATER)
        second.add_note(text="second", by=AGENT, occurred_at=T, recorded_at=LATER)
        first_desk._save(first)

        with pytest.raises(ConcurrentUpdate, match=r"changed while this command ran .*reload"):
            second_desk._save(second)

        assert [e.text for e in second_desk.history(case_id)[2:]] == ["first"]
        assert stored_event_rows(store) == 3

    def test_the_conflict_names_the_version_the_other_writer_recorded(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        first_desk, second_desk = file_desk(store), file_desk(store)
        case_id = open_assigned_case(first_desk)  # versions 1 and 2
        first, second = first_desk._load(case_id), second_desk._load(case_id)
        first.add_note(text="first", by=AGENT, occurred_at=T, recorded_at=LATER)
        second.add_note(text="second", by=AGENT, occurred_at=T, recorded_at=LATER)
        first_desk._save(first)  # version 3

        with pytest.raises(ConcurrentUpdate, match=r"another writer recorded version 3 first"):
            second_desk._save(second)
