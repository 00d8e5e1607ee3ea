"""The README and docs/ stay true to the tree: every link resolves, every setting is documented.

A link is checked as GitHub renders it: a relative path must name a file in the repository, and
an anchor must be the slug of a heading in that file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _text(document: Path) -> str:
    return FENCE.sub("", document.read_text(encoding="utf-8"))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*", "", heading.strip().lower())
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", _text(document), re.MULTILINE)
    return {_slug(heading) for heading in headings}


def _links() -> list[tuple[Path, str]]:
    return [(doc, target) for doc in DOCUMENTS for target in LINK.findall(_text(doc))]


@pytest.mark.parametrize(
    ("document", "target"), _links(), ids=lambda value: getattr(value, "name", value)
)
def test_every_relative_link_names_a_file_and_heading_that_exist(document, target):
    if re.match(r"[a-z]+:", target):
        return  # an address outside the repository
    path, _, anchor = target.partition("#")
    linked = (document.parent / path).resolve() if path else document
    assert linked.is_file(), f"{document.name}: {target} names no file"
    if anchor and linked.suffix == ".md":
        assert anchor in _anchors(linked), f"{document.name}: {target} names no heading"


def test_the_readme_is_a_front_door_under_300_lines():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 300


def test_every_setting_has_a_row_in_the_configuration_table_and_a_line_in_env_example():
    table = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        variable = name.upper()
        assert f"| `{variable}` |" in table, f"{variable} has no row in docs/configuration.md"
        assert re.search(rf"^#? ?{variable}=", example, re.MULTILINE), (
            f"{variable} has no line in .env.example"
        )
