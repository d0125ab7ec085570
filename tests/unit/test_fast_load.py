"""A command's load takes cheaper paths than eventsourcing's: the mapper's plain path for
the rows every desk writes, and a projector that folds a case once rather than copying
its state at every event. Each must give exactly what the general path gives."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.domain import OriginatorIDError, OriginatorVersionError
from eventsourcing.persistence import StoredEvent

from casehistory.desk._base import _project
from casehistory.stories import STORIES

from ._builders import memory_desk


def _same(mine: Any, theirs: Any) -> bool:
    """Equal in type and value all the way down, dicts in the same key order."""
    if type(mine) is not type(theirs):
        return False
    if isinstance(mine, dict):
        return list(mine) == list(theirs) and all(_same(mine[k], theirs[k]) for k in mine)
    if isinstance(mine, list | tuple):
        return len(mine) == len(theirs) and all(map(_same, mine, theirs))
    return bool(mine == theirs) and repr(mine) == repr(theirs)


def _stories() -> list[tuple[Any, list[Any]]]:
    desk = memory_desk()
    return [(desk, list(desk.history(story.tell(desk)))) for story in STORIES]


def test_every_stored_event_of_the_stories_decodes_as_the_general_path_decodes_it() -> None:
    taken = total = 0
    for desk, events in _stories():
        total += len(events)
        mapper = desk._store.mapper
        rows = [mapper.to_stored_event(event) for event in events]
        case_id = events[0].originator_id
        plain = mapper.decoded(case_id, [(r.originator_version, r.topic, r.state) for r in rows])
        for row, mine in zip(rows, plain, strict=True):
            theirs = mapper._general(
                StoredEvent(case_id, row.originator_version, row.topic, row.state)
            )
            assert type(mine) is type(theirs)
            assert _same(vars(mine), vars(theirs)), row
            taken += (
                mapper.plain_event(case_id, row.originator_version, row.topic, row.state)
                is not None
            )
    assert taken == total  # every row a desk writes takes the plain path


def test_a_row_the_plain_path_does_not_take_goes_to_the_general_path() -> None:
    desk, events = _stories()[0]
    mapper = desk._store.mapper
    row = mapper.to_stored_event(events[1])
    upcast = row.state[:-1] + b',"class_version":1}'
    assert mapper.plain_event(row.originator_id, row.originator_version, row.topic, upcast) is None
    [event] = mapper.decoded(row.originator_id, [(row.originator_version, row.topic, upcast)])
    assert vars(event) == vars(events[1])
    # A string id (a row read by other means) is left to the general path too.
    assert mapper.plain_event(str(row.originator_id), 2, row.topic, row.state) is None


def test_the_projector_gives_what_mutate_gives_from_nothing_and_from_any_version() -> None:
    for _desk, events in _stories():
        for start in range(len(events)):
            expected = None
            for event in events:
                expected = event.mutate(expected)
            begun = None
            for event in events[: start + 1]:
                begun = event.mutate(begun)
            folded = _project(begun, events[start + 1 :])
            assert folded is begun  # the aggregate is changed in place, as mutate does
            assert expected is not None
            assert folded.state == expected.state
            assert (folded.version, folded.modified_on, folded.created_on) == (
                expected.version,
                expected.modified_on,
                expected.created_on,
            )


def test_the_projector_refuses_what_mutate_refuses() -> None:
    stories = _stories()
    _desk, events = stories[0]
    _other_desk, others = stories[1]
    with pytest.raises(OriginatorVersionError):
        _project(None, [events[0], events[2]])
    with pytest.raises(OriginatorIDError):
        _project(None, [events[0], others[1]])
