"""The process a large rebuild starts beside itself: ``python -m
casehistory.catalog._worker`` (see casehistory.catalog._parallel)."""

import sys

from casehistory.catalog._parallel import serve

if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
