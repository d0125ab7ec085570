"""Run the console blocks of docs/cli.md and compare their output with the page.

Each block starts with ``$ casehistory ...`` and shows the command's output below it.
Blocks run in order in one temporary folder (so ``stories`` fills the store the later
blocks read). Case ids and store times differ on every run: both are replaced by
placeholders before comparing, and case ids in the page's commands are mapped to the
ids of this run in order of first appearance.

``python tests/cli/transcript.py --update`` rewrites the page with fresh output.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from casehistory.cli import main

PAGE = Path(__file__).parents[2] / "docs" / "cli.md"
BLOCK = re.compile(r"```console\n\$ (?P<command>[^\n]+)\n(?P<output>.*?)```", re.S)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NIL = "00000000-0000-0000-0000-000000000000"  # never a real case: the not-found example
STORE_TIME = re.compile(
    r'(recorded (?:at )?|"recorded_at": "|"last_recorded_at": ")\d{4}-\d\d-\d\dT[\d:.]+\+00:00'
)
DIGEST = re.compile(r'("digest": ")[0-9a-f]{64}')  # chained over case ids and store times

CLOCK_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")
# Checkpoints (C2SP notes): the store's origin, note times, base64 hashes, signatures
# and key IDs differ on every run.
ORIGIN = re.compile(r"casehistory/[0-9a-f]{32}")
NOTE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42,}==?")
KEY_ID = re.compile(r"\+[0-9a-f]{8}\b")
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")
# Catalog cursors (URL-safe base64 of ["opened", time, case id]) and the time a rebuild took.
CURSOR = re.compile(r"\bWy[A-Za-z0-9_-]{40,}")
SECONDS = re.compile(r"\bin \d+\.\d+ s\b")


def normalise(text: str) -> str:
    seen: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"<case-{len(seen) + 1}>")

    text = ORIGIN.sub("casehistory/<origin>", text)
    text = CURSOR.sub("<cursor>", text)
    text = SECONDS.sub("in <seconds> s", text)
    text = NOTE_TIME.sub("<store-time>", text)
    text = BASE64.sub("<base64>", text)
    text = KEY_ID.sub("+<key-id>", text)
    text = STORE_TIME.sub(lambda m: m.group(1) + "<store-time>", text)
    # Digests and tree heads cover store times, and checkpoints are dated by the clock.
    text = CLOCK_TIME.sub("<store-time>", text)
    text = SHA256.sub("<sha256>", text)
    text = DIGEST.sub(lambda m: m.group(1) + "<digest>", text)
    text = UUID.sub(placeholder, text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def blocks(page: str) -> list[tuple[str, str]]:
    return [(m.group("command"), m.group("output")) for m in BLOCK.finditer(page)]


def run(command: str, cwd: Path) -> str:
    args = shlex.split(command)
    assert args[0] == "casehistory", command
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args[1:], env={"CASEHISTORY_DB": None})
    finally:
        os.chdir(previous)
    return result.output


def replay(page: str) -> list[tuple[str, str, str]]:
    """(command as run, output on the page, output now) for every block."""
    ids: dict[str, str] = {}
    page_ids = [i for i in UUID.findall(page) if i != NIL]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for command, shown in blocks(page):
            for doc_id in UUID.findall(command):
                command = command.replace(doc_id, ids.get(doc_id, doc_id))
            output = run(command, Path(folder))
            for doc_id, real_id in zip(
                [i for i in dict.fromkeys(page_ids) if i not in ids],
                [i for i in dict.fromkeys(UUID.findall(output)) if i not in ids.values()],
                strict=False,
            ):
                ids[doc_id] = real_id
            results.append((command, shown, output))
    return results


def update() -> None:
    page = PAGE.read_text()
    for (command, shown), (ran, _, output) in zip(blocks(page), replay(page), strict=True):
        old = f"```console\n$ {command}\n{shown}```"
        text = "\n".join(line.rstrip() for line in output.rstrip().splitlines())
        new = f"```console\n$ {ran}\n{text}\n```"
        page = page.replace(old, new, 1)
    PAGE.write_text(page)


if __name__ == "__main__" and "--update" in sys.argv:
    update()
