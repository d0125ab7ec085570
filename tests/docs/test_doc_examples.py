"""The docs show tested code: every Python block of README.md and docs/*.md runs here.

Each page is one test. Its ```python blocks run top to bottom in one fresh module
namespace, compiled with the page's file name and line numbers, so a failure points
at the line of the doc. Pages without a Python block are not collected.

Also checked: the generated regions of the docs match the code (else run
``python docs/_generate.py``), every public name is documented somewhere, every
event has its section in the vocabulary, and every source path the docs name exists.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
from pathlib import Path

import pytest

import casehistory

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block of a Markdown text."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent = len(opening["indent"])
        start = i + 1
        i = start
        while i < len(lines) and lines[i].strip() != "```":
            i += 1
        if opening["info"].strip() == "python":
            body = [line[indent:] for line in lines[start:i]]
            blocks.append((start + 1, "\n".join(body) + "\n"))
        i += 1
    return blocks


def _pages() -> list[Path]:
    readme = ROOT / "README.md"
    return [p for p in [readme, *sorted(DOCS.glob("*.md"))] if p.is_file()]


def _pages_with_code() -> list[Path]:
    return [p for p in _pages() if python_blocks(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_of_the_page_runs(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The page runs as a module of its own, from the repository root, as a reader would.
    monkeypatch.chdir(ROOT)
    module = types.ModuleType(f"_doc_{page.stem}")
    # No __file__: Hypothesis reads the source of loaded modules for constants, and a
    # Markdown page is not Python.
    monkeypatch.setitem(sys.modules, module.__name__, module)

    for first_line, code in python_blocks(page.read_text(encoding="utf-8")):
        padded = "\n" * (first_line - 1) + code
        exec(compile(padded, str(page), "exec"), module.__dict__)


def _generator() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("_docs_generate", DOCS / "_generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_regions_match_the_code() -> None:
    stale = _generator().stale_regions(DOCS)

    assert not stale, (
        "docs are out of date with the code: "
        + "; ".join(f"docs/{page}: {', '.join(names)}" for page, names in stale.items())
        + ". Run `python docs/_generate.py` and commit the result."
    )


def test_every_event_has_its_section_in_the_vocabulary() -> None:
    text = (DOCS / "vocabulary.md").read_text(encoding="utf-8")

    missing = [
        event.__name__
        for event in casehistory.EVENT_TYPES
        if f"<!-- generated:event:{event.__name__} -->" not in text
    ]

    assert not missing, (
        f"docs/vocabulary.md has no section for {', '.join(missing)}; add a heading, a "
        "paragraph on what it means, and an empty <!-- generated:event:NAME --> region, "
        "then run `python docs/_generate.py`"
    )


def test_every_public_name_appears_in_the_docs() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))

    missing = [name for name in casehistory.__all__ if not re.search(rf"\b{name}\b", text)]

    assert not missing, f"public names no docs page mentions: {', '.join(missing)}"


def test_every_source_path_named_in_the_docs_exists() -> None:
    named = {
        (page.name, path)
        for page in _pages()
        for path in re.findall(r"\bcasehistory/[\w/]+\.py\b", page.read_text(encoding="utf-8"))
    }

    missing = sorted(f"{page}: {path}" for page, path in named if not (ROOT / path).is_file())

    assert not missing, f"the docs name files that do not exist: {'; '.join(missing)}"


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes for the headings of a page (duplicates get -1, -2, ...)."""
    seen: dict[str, int] = {}
    anchors = set()
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else re.match(r"#{1,6} +(.*)", line)
        if heading is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading[1].strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_every_link_between_pages_resolves() -> None:
    broken = []
    for page in sorted(DOCS.glob("*.md")):
        for target, anchor in re.findall(
            r"\]\(((?:[\w-]+\.md)?)(?:#([\w-]+))?\)", page.read_text(encoding="utf-8")
        ):
            linked = DOCS / target if target else page
            if not linked.is_file():
                broken.append(f"docs/{page.name} -> {target} (no such page)")
            elif anchor and anchor not in _anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"docs/{page.name} -> {target}#{anchor} (no such heading)")

    assert not broken, "broken links: " + "; ".join(broken)


def test_the_catalog_page_lists_every_index_of_the_catalog() -> None:
    from casehistory.catalog._schema import index_names

    page = (DOCS / "catalog.md").read_text(encoding="utf-8")
    section = page.split("### Indexes", 1)[1].split("\n### ", 1)[0]
    listed = set(re.findall(r"^\| `(catalog_\w+)` \|", section, flags=re.MULTILINE))
    assert listed == set(index_names(sqlite=False))
