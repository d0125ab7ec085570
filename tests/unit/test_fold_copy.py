"""The fold copies the state at each event without ``attrs.evolve`` (``state._replaced``,
half its cost): what it builds must be what ``evolve`` would, converters included."""

from __future__ import annotations

import attrs

from casehistory.domain.state import CaseState, evolve

from ._builders import AGENT, T, memory_desk, open_case


def test_a_changed_field_goes_through_its_converter() -> None:
    # cancellations_requested is kept sorted and without repeats by its converter; the
    # fold appends each request, so a skipped converter keeps the order of requests.
    desk = memory_desk()
    case_id = open_case(desk)
    for subscription in ("zeta", "alpha", "zeta"):
        desk.request_cancellation(
            case_id, subscription=subscription, reason="moving", by=AGENT, occurred_at=T
        )
    assert desk._load(case_id).state.cancellations_requested == ("alpha", "zeta")


def test_each_step_equals_attrs_evolve() -> None:
    desk = memory_desk()
    case_id = open_case(desk)
    for subscription in ("zeta", "alpha"):
        desk.request_cancellation(
            case_id, subscription=subscription, reason="moving", by=AGENT, occurred_at=T
        )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=T)
    state: CaseState | None = None
    for event in desk.history(case_id):
        folded = evolve(state, event)
        if state is not None:
            names = [field.name for field in attrs.fields(CaseState)]
            reference = attrs.evolve(state, **{name: getattr(folded, name) for name in names})
            assert folded == reference
            assert [type(getattr(folded, n)) for n in names] == [
                type(getattr(reference, n)) for n in names
            ]
        state = folded


def test_a_folding_gives_every_state_evolve_gives() -> None:
    # fold() keeps a scratch copy changed in place between events: after each event it
    # must give the state evolve gives, and states it gave before must not change.
    from casehistory.domain.state import Folding
    from casehistory.stories import STORIES

    desk = memory_desk()
    for story in STORIES:
        events = desk.history(story.tell(desk))
        folding, state = Folding(), None
        given = []
        for event in events:
            folding.add(event)
            state = evolve(state, event)
            assert folding.ledger is state.ledger or folding.ledger == state.ledger
            if event.originator_version % 3 == 0:  # asked for now and then, not always
                assert folding.state == state
                given.append((folding.state, state))
        assert folding.state == state
        assert all(kept == expected for kept, expected in given)
