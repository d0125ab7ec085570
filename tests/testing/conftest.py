"""Fixtures of the toolkit's own tests."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.internal.conjecture import providers
from hypothesis.internal.floats import float_to_int
from sortedcontainers import SortedSet


@pytest.fixture
def same_search_whatever_is_imported(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Derandomized searches that depend neither on which modules the process has loaded
    nor on what the code's modules say today.

    Hypothesis mixes constants found in every loaded module of the project into what it
    draws, so a derandomized search (and the local minimum its shrinking reaches) is not
    the same alone as in the full suite, nor from one change of the code to the next: a
    new error message moved where a pinned search ended. Tests that pin what a search
    finds, or how far it shrinks, search with one fixed set: the constants of every
    casehistory module as of the commit named in ``search_constants.json``. (Searching
    with none finds fewer planted bugs: the names and numbers of the domain help.) A
    private hook of Hypothesis's; if it goes away, this fixture fails loudly."""
    constants = _pinned_constants()
    monkeypatch.setattr(providers, "_get_local_constants", lambda: constants)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()


@functools.cache
def _pinned_constants() -> providers.Constants:
    data = json.loads(Path(__file__).with_name("search_constants.json").read_text())
    # Sorted, as Hypothesis keeps its own: a plain set of strings iterates in an order
    # that changes with each process's hash seed, and with it the search.
    return providers.Constants(
        integers=SortedSet(data["integers"]),
        floats=SortedSet(data["floats"], key=float_to_int),
        bytes=SortedSet(bytes.fromhex(b) for b in data["bytes"]),
        strings=SortedSet(data["strings"]),
    )
