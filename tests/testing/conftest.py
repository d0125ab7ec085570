"""Fixtures of the toolkit's own tests."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from hypothesis.internal.conjecture import providers

import casehistory


@pytest.fixture
def same_search_whatever_is_imported(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Derandomized searches that do not depend on which modules the process has loaded.

    Hypothesis mixes constants found in every loaded module of the project into what it
    draws, so a derandomized search (and the local minimum its shrinking reaches) is not
    the same alone as in the full suite, nor from one change of the code to the next.
    Tests that pin what a search finds, or how far it shrinks, search with the constants
    of casehistory's own modules, every one of them, whatever else is loaded. (A
    private hook of Hypothesis's; if it goes away, this fixture fails loudly.)"""
    constants = _package_constants()
    monkeypatch.setattr(providers, "_get_local_constants", lambda: constants)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()


@functools.cache
def _package_constants() -> providers.Constants:
    constants = providers.Constants()
    modules = pkgutil.walk_packages(casehistory.__path__, "casehistory.")
    names = sorted(m.name for m in modules if not m.name.endswith("__main__"))
    for name in names:
        constants |= providers.constants_from_module(importlib.import_module(name))
    return constants
