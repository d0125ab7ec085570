"""The event classes an app reads histories with are public, from one module."""

from __future__ import annotations

import casehistory.domain.events as domain_events
import casehistory.events as events


def test_every_event_class_is_importable_from_casehistory_events() -> None:
    assert set(events.EVENT_TYPES) == set(domain_events.EVENT_TYPES)
    for cls in events.EVENT_TYPES:
        assert getattr(events, cls.__name__) is cls
        assert cls.__name__ in events.__all__
    assert events.CaseEvent is domain_events.CaseEvent
