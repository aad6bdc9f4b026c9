"""The documentation: the generated key reference matches the code, links point at files in the repository,
and the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
README = ROOT / "README.md"
README_MAX_LINES = 220

FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")


def code_block(text: str) -> str:
    """The body of the first fenced code block in ``text``."""
    match = re.search(r"^```[^\n]*\n(.*?)^```[ \t]*$", text, re.M | re.S)
    assert match, "no fenced code block"
    return match.group(1)


def relative_links(text: str) -> list[tuple[str, str]]:
    """The targets of markdown links ``[text](path#anchor)`` outside code, as (path, anchor), without web
    addresses and links within the page.

    >>> relative_links("[a](docs/x.md#y) [b](https://e.org) [c](#top) `[d](no.md)` [e](Makefile)")
    [('docs/x.md', 'y'), ('Makefile', '')]
    """
    prose = INLINE_CODE.sub("", FENCE.sub("", text))
    targets = []
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http(s), mailto and the like; an anchor in the same file
        path, _, anchor = target.partition("#")
        targets.append((path, anchor))
    return targets


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings (lower case, punctuation dropped, spaces as hyphens).

    >>> sorted(anchors("# Grader, truncation and precision\\n## A source's own grader\\n```\\n# not a heading\\n```"))
    ['a-sources-own-grader', 'grader-truncation-and-precision']
    """
    slugs = set()
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", FENCE.sub("", text), re.M):
        slugs.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return slugs


def test_recipe_keys_reference_is_generated_from_list_keys():
    from recipes.train import list_keys

    path = ROOT / "docs" / "recipe-keys.md"
    assert path.is_file(), "docs/recipe-keys.md is missing: run make docs"
    assert code_block(path.read_text(encoding="utf-8")) == list_keys() + "\n", (
        "docs/recipe-keys.md differs from python -m recipes.train --list-keys: run make docs"
    )


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_links_point_at_files_in_the_repository(page):
    broken = []
    for path, anchor in relative_links(page.read_text(encoding="utf-8")):
        resolved = (page.parent / path).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(path)
        elif (
            anchor
            and resolved.suffix == ".md"
            and anchor not in anchors(resolved.read_text(encoding="utf-8"))
        ):
            broken.append(f"{path}#{anchor}")
    assert not broken, (
        f"{page.relative_to(ROOT)} links to files or headings the repository doesn't have: {broken}"
    )


def test_docs_folder_has_pages():
    assert DOCS, "docs/ holds no pages"


def test_readme_is_short():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines; keep it to {README_MAX_LINES} (reference goes to docs/)"
    )
