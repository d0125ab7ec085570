"""Run every benchmark, one fresh interpreter each: commands, load, as_of, audit.

Run:  python benchmarks/run_all.py            (about 4 minutes)
      python benchmarks/run_all.py --runs 3   (extra arguments go to every script)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("commands.py", "load.py", "as_of.py", "audit.py")


def main(argv: list[str]) -> int:
    worst = 0
    for script in SCRIPTS:
        print(f"$ python benchmarks/{script} {' '.join(argv)}".rstrip(), flush=True)
        done = subprocess.run([sys.executable, str(HERE / script), *argv], check=False)
        worst = max(worst, done.returncode)
        print(flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
