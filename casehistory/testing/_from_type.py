"""``st.from_type()`` for casehistory's types, registered without importing them.

Hypothesis runs :func:`casehistory.testing._hypothesis_setup_hook` (its ``hypothesis``
entry point) when it is imported, in every test run of every project that has
casehistory installed. Registering a strategy needs the type itself, and importing the
types costs what the test run may never use: attrs and the value types (about 35 ms),
the domain and eventsourcing for :class:`~casehistory.testing.Command` and
:class:`~casehistory.testing.CaseHistory`, the strategies (about 130 ms in all).

So a type is registered when the module that defines it has been imported: at once for
a module already imported, otherwise by a finder put first on ``sys.meta_path`` that
watches for those three modules only and registers right after one of them has run
(it stays, answering None at once for every other module: taking it out of
``sys.meta_path`` while another thread's import walks the list could skip a finder).
What is registered is a
function that Hypothesis calls when it resolves the type, which imports the strategy
and returns it: ``st.from_type(Money)`` draws with :func:`~casehistory.testing.
strategies.money` as before, and the strategies are imported at the first draw.
Importing this module imports nothing beyond the standard library's ``importlib``
(already imported by Hypothesis when it runs entry points).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

_VALUES = "casehistory.testing._values"
_STRATEGIES = "casehistory.testing.strategies"

TYPES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "casehistory.domain.values": (
        ("Money", _VALUES, "money"),
        ("Actor", _VALUES, "actors"),
        ("Customer", _VALUES, "customers"),
        ("Product", _VALUES, "products"),
    ),
    "casehistory.testing._commands": (("Command", _STRATEGIES, "commands"),),
    "casehistory.testing._history": (("CaseHistory", _STRATEGIES, "case_histories"),),
}
"""For each module watched: ``(type name, module of its strategy, strategy name)``."""

_registered: set[str] = set()
_lock = threading.RLock()


class _Strategy:
    """What Hypothesis calls to resolve a type: imports the strategy and returns it."""

    def __init__(self, home: str, name: str) -> None:
        self.home = home
        self.name = name

    def __call__(self, thetype: type) -> SearchStrategy[Any]:
        strategy: SearchStrategy[Any] = getattr(importlib.import_module(self.home), self.name)()
        return strategy

    def __repr__(self) -> str:
        return f"{self.home}.{self.name}()"


def register(module_name: str) -> None:
    """Register the types of ``module_name`` (one of :data:`TYPES`), once."""
    with _lock:
        if module_name in _registered:
            return
        module = sys.modules[module_name]
        names = TYPES[module_name]
        if not all(hasattr(module, name) for name, _, _ in names):
            return  # still being imported (an import cycle): the strategies register it
        from hypothesis import strategies as st

        for name, home, strategy in names:
            st.register_type_strategy(getattr(module, name), _Strategy(home, strategy))
        _registered.add(module_name)


def register_imported() -> None:
    """Register the types of the watched modules that are imported already."""
    for module_name in TYPES:
        if module_name in sys.modules:
            register(module_name)


class _Registering(Loader):
    """The loader of a watched module: the module's own, then :func:`register`."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        register(module.__name__)

    def __getattr__(self, name: str) -> Any:  # get_source, get_data, is_package, ...
        return getattr(self.loader, name)


class _Finder(MetaPathFinder):
    """Finds nothing itself: asks the finders after it, and wraps the loader."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname not in TYPES or fullname in _registered:
            return None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: ModuleSpec | None = find(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Registering(spec.loader)
            return spec
        return None


_FINDER = _Finder()


def setup() -> None:
    """Register what is imported, and watch for the rest (see the module's docstring)."""
    register_imported()
    with _lock:
        if not _registered.issuperset(TYPES) and _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
