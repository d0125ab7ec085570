"""What casehistory's Hypothesis entry point adds to ``import hypothesis``, same run.

Run:  python benchmarks/hypothesis_import.py             (~30 s)
      python benchmarks/hypothesis_import.py --runs 41   (steadier medians)

Hypothesis runs the functions of its ``hypothesis`` entry point group when it is
imported, in every test run of every project that has casehistory installed. Each run
here is a fresh ``python -X importtime -c "import hypothesis"``; the figure is the
cumulative time of the top-level ``hypothesis`` import (entry points included), in ms.

* **with**: casehistory's installed metadata, copied unchanged into a folder put first
  on ``PYTHONPATH``: the entry point is active.
* **without**: the same copy with the ``[hypothesis]`` group taken out of its
  ``entry_points.txt``: importlib.metadata takes the first distribution of a name on
  ``sys.path``, so casehistory's entry point is hidden. Hypothesis still scans the same
  distributions (``HYPOTHESIS_NO_PLUGINS=1`` would skip that scan too and so overstate
  casehistory's share).

Both are measured twice: with casehistory's modules compiled once to bytecode (as after
a ``pip install``; ``PYTHONPYCACHEPREFIX`` points to the temporary folder, so nothing
is written in the tree), and compiled from source at every run (as with
``PYTHONDONTWRITEBYTECODE=1`` on an editable install). The four kinds of run alternate;
medians of ``--runs`` of each. Each run also checks
that the hook ran (or did not), and the script prints which of casehistory's heavy
modules (the desk, eventsourcing, ``casehistory.testing.strategies``, the value
types) it imported: since issue 14, none.
The target (issue 14): a difference under 5 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import distribution
from pathlib import Path

from _common import check, machine, median, spread

_PROBE = (
    "import hypothesis, sys; "
    "print(sorted(m for m in ('casehistory.testing', 'casehistory.testing.strategies', "
    "'casehistory.desk', 'casehistory.domain.values', 'eventsourcing') if m in sys.modules))"
)
_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| hypothesis$", re.MULTILINE)


def _without_hypothesis_group(text: str) -> str:
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.strip() == "[hypothesis]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _metadata_copies(folder: Path) -> tuple[Path, Path]:
    """Two folders, each with a copy of casehistory's dist-info: as installed, and
    without the ``[hypothesis]`` entry point group."""
    installed = Path(str(distribution("casehistory")._path))  # type: ignore[attr-defined]
    entry_points = (installed / "entry_points.txt").read_text()
    check("[hypothesis]" in entry_points, "casehistory's hypothesis entry point is installed")
    folders = []
    for name, text in (
        ("with", entry_points),
        ("without", _without_hypothesis_group(entry_points)),
    ):
        target = folder / name / installed.name
        shutil.copytree(installed, target)
        (target / "entry_points.txt").write_text(text)
        folders.append(folder / name)
    return folders[0], folders[1]


def one_import(path: Path, bytecode: Path | None) -> tuple[float, str]:
    """ms of ``import hypothesis`` (cumulative, -X importtime), and what it loaded;
    ``bytecode``: where the .pyc files are kept, or None to compile from source."""
    env = {**os.environ, "PYTHONPATH": str(path)}
    env.pop("HYPOTHESIS_NO_PLUGINS", None)
    if bytecode is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    found = _LINE.search(done.stderr)
    check(found is not None, "-X importtime printed the hypothesis line")
    assert found is not None
    return int(found.group(1)) / 1000, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="imports of each kind")
    args = parser.parse_args()
    print(machine())
    timed: dict[tuple[str, str], list[float]] = {}
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        hooks = dict(zip(("with", "without"), _metadata_copies(Path(folder)), strict=True))
        caches: dict[str, Path | None] = {"bytecode": Path(folder) / "pyc", "source": None}
        for hook in hooks.values():  # write the .pyc files, warm the file system caches
            for cache in caches.values():
                one_import(hook, cache)
        for _ in range(args.runs):
            for cache_name, cache in caches.items():
                for hook_name, hook in hooks.items():
                    ms, loaded = one_import(hook, cache)
                    ran = "casehistory.testing" in loaded
                    check(ran is (hook_name == "with"), f"the hook ran {hook_name} it: {loaded}")
                    if ran:
                        seen.add(loaded)
                    timed.setdefault((cache_name, hook_name), []).append(ms)
    print(f"watched modules imported by the hook: {' '.join(sorted(seen))}")
    print(f"import hypothesis, ms, median [min-max] of {args.runs} runs each (target: < 5 ms more)")
    print("casehistory's modules | with its entry point | without | difference of medians")
    for cache_name in caches:
        with_hook, without_hook = timed[cache_name, "with"], timed[cache_name, "without"]
        print(
            f"{cache_name:21} | {spread(with_hook):20} | {spread(without_hook)} | "
            f"{median(with_hook) - median(without_hook):.3f}"
        )


if __name__ == "__main__":
    main()
