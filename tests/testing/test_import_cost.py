"""Hypothesis's entry point is cheap (issue 14): ``import hypothesis`` in a project with
casehistory installed imports none of the domain, the desk, eventsourcing or the
strategies, and ``st.from_type()`` still draws casehistory's types with its strategies,
whichever is imported first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from typing import Any

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from casehistory import Actor, Customer, Money, Product
from casehistory.testing import CAST, CaseHistory, Command, strategies
from casehistory.testing.strategies import CURRENCIES

HEAVY = (
    "attrs",
    "casehistory.desk",
    "casehistory.domain",
    "casehistory.testing.strategies",
    "eventsourcing",
)


def _run(code: str, **env: str) -> Any:
    """Run ``code`` in a fresh interpreter, entry points active; it prints one JSON value."""
    environment = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_NO_PLUGINS"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**environment, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_LOADED = f"sorted(m for m in {HEAVY!r} if m in sys.modules)"


def test_the_entry_point_is_installed() -> None:
    # Without it, the tests below would pass for the wrong reason.
    found = {ep.name: ep.value for ep in entry_points(group="hypothesis")}

    assert found.get("casehistory") == "casehistory.testing:_hypothesis_setup_hook"


def test_importing_hypothesis_runs_the_hook_and_imports_nothing_heavy() -> None:
    loaded = _run(
        "import json, sys, hypothesis; "
        f"print(json.dumps([{_LOADED}, 'casehistory.testing._from_type' in sys.modules]))"
    )

    assert loaded == [[], True]


def test_types_imported_after_hypothesis_are_drawn_with_the_strategies() -> None:
    # The user imports the types, not casehistory.testing: from_type must still know them,
    # and drawing the value types must not pull in eventsourcing or the strategies module.
    drawn = _run(
        "import json, sys\n"
        "from hypothesis import strategies as st\n"
        "from casehistory import Actor, Customer, Money, Product\n"
        f"before = {_LOADED}\n"
        "values = [st.from_type(t).example() for t in (Money, Actor, Customer, Product)]\n"
        f"after_values = {_LOADED}\n"
        "from casehistory.testing._commands import Command\n"
        "from casehistory.testing._history import CaseHistory\n"
        "command, history = st.from_type(Command).example(), st.from_type(CaseHistory).example()\n"
        "print(json.dumps({'before': before, 'after_values': after_values,\n"
        "    'types': [type(v).__name__ for v in (*values, command, history)],\n"
        "    'money': [str(values[0].amount), values[0].currency],\n"
        "    'actor': repr(values[1]), 'command': repr(command), 'history': str(history)}))\n"
    )

    assert drawn["before"] == ["attrs", "casehistory.domain"]
    assert drawn["after_values"] == ["attrs", "casehistory.domain"]
    assert drawn["types"] == ["Money", "Actor", "Customer", "Product", "Command", "CaseHistory"]
    amount, currency = drawn["money"]
    assert float(amount) > 0
    assert currency in CURRENCIES
    assert drawn["actor"] in {repr(actor) for actor in CAST}
    assert drawn["command"].startswith("desk.")
    assert "case_1 = desk.open_case(" in drawn["history"]  # a pytest module (issue 14)


def test_types_imported_before_hypothesis_are_registered_by_the_hook() -> None:
    drawn = _run(
        "import json\n"
        "from casehistory import Money\n"
        "from hypothesis import strategies as st\n"
        "print(json.dumps(type(st.from_type(Money).example()).__name__))\n"
    )

    assert drawn == "Money"


def test_without_the_entry_point_the_strategies_register_on_import() -> None:
    drawn = _run(
        "import json, sys\n"
        "from hypothesis import strategies as st\n"
        "from casehistory import Product\n"
        "import casehistory.testing.strategies\n"
        "print(json.dumps([type(st.from_type(Product).example()).__name__,\n"
        "    'casehistory.testing._from_type' in sys.modules]))\n",
        HYPOTHESIS_NO_PLUGINS="1",
    )

    assert drawn == ["Product", True]


def test_the_watched_modules_keep_their_source_and_location() -> None:
    # The hook wraps the loader of three modules: tracebacks, inspect and coverage
    # still find their source.
    found = _run(
        "import inspect, json, hypothesis\n"
        "import casehistory.domain.values as values\n"
        "print(json.dumps([values.__spec__.origin == values.__file__,\n"
        "    values.__file__.endswith('values.py'),\n"
        "    'class Money' in inspect.getsource(values.Money),\n"
        "    values.__loader__.get_source('casehistory.domain.values') is not None]))\n"
    )

    assert found == [True, True, True, True]


def test_a_users_own_registration_is_kept_when_the_strategies_are_imported() -> None:
    drawn = _run(
        "import json\n"
        "from decimal import Decimal\n"
        "from hypothesis import strategies as st\n"
        "from casehistory import Money\n"
        "st.register_type_strategy(Money, st.just(Money(Decimal('7'), 'GBP')))\n"
        "import casehistory.testing.strategies\n"
        "print(json.dumps(st.from_type(Money).example().currency))\n"
    )

    assert drawn == "GBP"


@pytest.mark.parametrize(
    ("thetype", "strategy"),
    [
        (Money, strategies.money()),
        (Actor, strategies.actors()),
        (Customer, strategies.customers()),
        (Product, strategies.products()),
        (Command, strategies.commands()),
        (CaseHistory, strategies.case_histories()),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_from_type_draws_what_the_strategy_draws(
    thetype: type, strategy: st.SearchStrategy[Any]
) -> None:
    # Same seed, same draws: from_type resolves to the very strategy, not a look-alike.
    def draws(drawn_from: st.SearchStrategy[Any]) -> list[str]:
        seen: list[str] = []

        @seed(14)
        @settings(database=None, max_examples=25, derandomize=False)
        @given(drawn_from)
        def collect(value: Any) -> None:
            seen.append(repr(value))

        collect()
        return seen

    assert draws(st.from_type(thetype)) == draws(strategy)


def test_the_benchmark_runs_and_checks_what_the_hook_imports() -> None:
    # benchmarks/hypothesis_import.py checks in each run that the hook ran (or was hidden)
    # and prints what heavy modules it imported: none.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "benchmarks/hypothesis_import.py", "--runs", "1"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "imported by the hook: ['casehistory.testing']" in done.stdout
    assert done.stdout.count(" | ") >= 9  # the header and the two rows of figures
