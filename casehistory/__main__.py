"""``python -m casehistory``: the same as the ``casehistory`` command."""

from casehistory.cli import main

main()
