"""The folders are the dependency graph: the domain imports nothing above it, does no I/O
and never reads the wall clock. Scanned with ``ast``, so the test reads what the code says.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import casehistory.domain

DOMAIN = Path(casehistory.domain.__file__).parent
DOMAIN_FILES = sorted(DOMAIN.rglob("*.py"))

FORBIDDEN_MODULES = (
    "casehistory.desk",
    "casehistory.store",
    "casehistory.cli",
    "casehistory.views",
    "casehistory.stories",
    "sqlite3",
    "psycopg",
    "os",
    "pathlib",
    "socket",
    "time",
)
WALL_CLOCK_CALLS = {"now", "utcnow", "today"}
"""Methods that read the wall clock on ``datetime`` or ``date``."""


def _imported_modules(tree: ast.Module, package: str) -> list[str]:
    """Every module an import statement names, relative imports resolved in ``package``."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append(module)
            found.extend(f"{module}.{alias.name}" for alias in node.names)
    return found


def forbidden_imports(source: str, package: str = "casehistory.domain") -> list[str]:
    tree = ast.parse(source)
    return sorted(
        {
            module
            for module in _imported_modules(tree, package)
            for banned in FORBIDDEN_MODULES
            if module == banned or module.startswith(banned + ".")
        }
    )


def wall_clock_calls(source: str) -> list[str]:
    """``datetime.now()``, ``date.today()``, ``time.time()`` and the like, by line."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = ast.unparse(func.value)
            last = owner.rsplit(".", 1)[-1]
            if func.attr in WALL_CLOCK_CALLS and last in {"datetime", "date"}:
                found.append(f"line {node.lineno}: {ast.unparse(func)}()")
            if func.attr in {"time", "monotonic", "perf_counter"} and last == "time":
                found.append(f"line {node.lineno}: {ast.unparse(func)}()")
    return found


def _package_of(path: Path) -> str:
    relative = path.relative_to(DOMAIN.parent.parent).with_suffix("")
    return ".".join(relative.parts[:-1])  # a module's package, and __init__'s too


class TestTheDomainLayer:
    def test_the_domain_has_modules_to_scan(self) -> None:
        names = {path.name for path in DOMAIN_FILES}

        expected = {"lifecycle.py", "rights.py", "ledger.py", "policies.py", "state.py"}

        assert expected <= names

    @pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
    def test_the_domain_imports_nothing_above_it_and_nothing_doing_io(self, path: Path) -> None:
        source = path.read_text(encoding="utf-8")

        found = forbidden_imports(source, _package_of(path))

        assert found == [], f"{path.name} imports {found}"

    @pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
    def test_the_domain_never_reads_the_wall_clock(self, path: Path) -> None:
        source = path.read_text(encoding="utf-8")

        found = wall_clock_calls(source)

        assert found == [], f"{path.name} reads the wall clock: {found}"


class TestTheScannersCatchViolations:
    @pytest.mark.parametrize(
        ("source", "caught"),
        [
            ("import sqlite3", ["sqlite3"]),
            ("import os.path", ["os.path"]),
            ("from pathlib import Path", ["pathlib", "pathlib.Path"]),
            (
                "from casehistory.desk import CaseDesk",
                ["casehistory.desk", "casehistory.desk.CaseDesk"],
            ),
            ("from casehistory import store", ["casehistory.store"]),
            ("from ..views import case_view", ["casehistory.views", "casehistory.views.case_view"]),
            ("from . import events", []),
            ("from datetime import time", []),
            ("import timeit", []),
        ],
    )
    def test_forbidden_imports_are_found(self, source: str, caught: list[str]) -> None:
        snippet = source

        found = forbidden_imports(snippet)

        assert found == caught

    @pytest.mark.parametrize(
        ("source", "count"),
        [
            ("datetime.now(UTC)", 1),
            ("datetime.datetime.utcnow()", 1),
            ("date.today()", 1),
            ("time.time()", 1),
            ("datetime.combine(d, t)", 0),
            ("self.clock.now()", 0),
        ],
    )
    def test_wall_clock_calls_are_found(self, source: str, count: int) -> None:
        snippet = source

        found = wall_clock_calls(snippet)

        assert len(found) == count
