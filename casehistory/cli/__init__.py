"""The ``casehistory`` command line: thin verbs over a CaseDesk.

Each verb parses, calls the desk, prints. Every verb takes ``--db`` (a SQLite path or
a ``postgresql://`` URL), falling back to the ``CASEHISTORY_DB`` environment variable.
Exit codes: 0 success; 1 a command refused or a check failed; 2 a usage error.
"""

from __future__ import annotations

from casehistory.cli import cases as _cases  # noqa: F401  (registers the verbs)
from casehistory.cli import catalog as _catalog  # noqa: F401
from casehistory.cli import checkpoint as _checkpoint  # noqa: F401
from casehistory.cli import export as _export  # noqa: F401
from casehistory.cli import forget as _forget  # noqa: F401
from casehistory.cli import sla as _sla  # noqa: F401
from casehistory.cli import stats as _stats  # noqa: F401
from casehistory.cli import stories as _stories  # noqa: F401
from casehistory.cli import testcase as _testcase  # noqa: F401
from casehistory.cli import verify as _verify  # noqa: F401
from casehistory.cli._app import main

__all__ = ["main"]
