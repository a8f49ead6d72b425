"""Every Python block of the docs runs, in order, against FakeTaskade."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskade_async.testing import FakeTaskade
from tests.docs import snippets

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.rst"))
#: The pages that hold Python blocks (the others have nothing to run).
RUNNABLE = [page for page in PAGES if snippets.blocks(page)]


def test_the_runner_reads_every_kind_of_block(tmp_path: Path) -> None:
    """Shown and invisible blocks are found with their first code line; options are skipped."""
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n.. code-block:: python\n   :caption: x\n\n   a = 1\n\n"
        "   b = a\ntext\n\n.. invisible-code-block: python\n\n   c = 2\n\n"
        ".. code-block:: text\n\n   not python\n",
        encoding="utf-8",
    )
    found = snippets.blocks(page)
    assert [(b.line, b.source, b.shown) for b in found] == [
        (7, "a = 1\n\nb = a\n", True),
        (14, "c = 2\n", False),
    ]


def test_python_blocks_in_other_spellings_are_refused(tmp_path: Path) -> None:
    """A '.. code:: python' or '.. code-block:: py' block would escape the runner: refused."""
    page = tmp_path / "page.rst"
    page.write_text(".. code:: python\n\n   x\n\n.. code-block:: py\n\n   y\n", encoding="utf-8")
    assert len(snippets.problems(page)) == 2


def test_no_page_hides_python_from_the_runner() -> None:
    """No docs page has a Python block the runner would not run."""
    assert [p for page in PAGES for p in snippets.problems(page)] == []


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(ROOT)))
async def test_page_snippets_run(page: Path, demo: FakeTaskade) -> None:
    """The page's Python blocks run in order against the demo FakeTaskade without error."""
    await snippets.run_page(page, demo)
