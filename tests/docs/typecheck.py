"""mypy --strict over every Python block of README.rst and docs/ (``nox -s typecheck``).

Each page becomes one module: its blocks (shown and invisible) in order, as
the snippet runner runs them, in the body of ``async def page(fake, s)`` (so
top-level ``await`` is an ``await`` in a coroutine, and ``fake`` and ``s``,
the names every page starts with, have their types). A block that defines
``async def test_...`` keeps its own signature. Line numbers in mypy's report
are mapped back to the page's own.

Run: ``python -m tests.docs.typecheck`` (exit status: mypy's).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from tests.docs.snippets import blocks

ROOT = Path(__file__).resolve().parent.parent.parent
PAGES = [ROOT / "README.rst", *sorted((ROOT / "docs").rglob("*.rst"))]
HEADER = """\
from __future__ import annotations

import taskade_async as tk
from taskade_async import Session
from taskade_async.testing import FakeTaskade


async def page(fake: FakeTaskade, s: Session, open_session: Session) -> None:
"""


def module(page: Path) -> tuple[str, list[int]] | None:
    """The page as one module, and for each of its lines the page's line (0: none)."""
    found = blocks(page)
    if not found:
        return None
    lines = HEADER.splitlines()
    where = [0] * len(lines)
    for block in found:
        body = textwrap.indent(block.source, "    ", lambda line: True).splitlines()
        lines += body
        where += range(block.line, block.line + len(body))
    lines.append("    del fake, s, open_session")
    where.append(0)
    return "\n".join(lines) + "\n", where


def main() -> int:
    """Write each page's module to a temporary folder and run mypy --strict over them."""
    with tempfile.TemporaryDirectory() as tmp:
        maps: dict[str, tuple[Path, list[int]]] = {}
        for n, page in enumerate(PAGES):
            made = module(page)
            if made is None:
                continue
            name = f"page_{n:02d}_{page.stem.replace('-', '_')}.py"
            (Path(tmp) / name).write_text(made[0], encoding="utf-8")
            maps[name] = (page, made[1])
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--no-incremental",
                "--config-file=",
                "--disable-error-code=unused-ignore",
                "--show-error-codes",
                "--no-error-summary",
                *sorted(maps),
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
    for line in result.stdout.splitlines():
        name, _, rest = line.partition(":")
        number, _, message = rest.partition(":")
        if name in maps and number.isdigit():
            page, where = maps[name]
            at = where[int(number) - 1] if int(number) <= len(where) else 0
            print(f"{page.relative_to(ROOT)}:{at}:{message}")
        else:
            print(line)
    print(result.stderr, end="", file=sys.stderr)
    print(f"mypy --strict over the Python blocks of {len(maps)} pages: exit {result.returncode}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
