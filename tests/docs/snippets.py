"""Find the Python blocks of a reStructuredText page, and run them against FakeTaskade.

A page's blocks run in order in one namespace, as a reader would type them:

- ``.. code-block:: python``: shown and run;
- ``.. invisible-code-block: python`` (an rst comment, so never shown): run
  only, to set up what the prose assumes (an id, a file to upload).

Every page starts with these names already defined, as the docs say:
``fake`` (a started :class:`~taskade_async.testing.FakeTaskade` with the demo
account) and ``s`` (an open :class:`~taskade_async.Session` on it). The
environment holds ``TASKADE_TOKEN`` and ``TASKADE_BASE_URL`` for the fake, and
the placeholder token ``tskdp_...`` is a token it accepts, so
``tk.Session(token="tskdp_...")`` and ``tk.Session()`` both reach it. Top-level
``await``, ``async for`` and ``async with`` work. A block that defines
``async def test_...(taskade_fake, taskade_session)`` has that test run too,
with a fresh empty fake and a session on it, as the pytest plugin gives them.

No block is skipped: a snippet that cannot run is written as another block type
(``text``, ``console``), and :func:`problems` refuses Python blocks in any form
this runner does not read.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import attrs

from taskade_async import Session
from taskade_async.testing import FakeTaskade, pytest_plugin

_DIRECTIVE = re.compile(
    r"^(?P<indent> *)\.\. (?P<kind>code-block::|invisible-code-block:) *(?P<lang>\S*)\s*$"
)
#: Spellings of a Python block that would escape the runner.
_ESCAPES = re.compile(
    r"^ *\.\. (?:code|sourcecode|code-block)::\s*(?:py|python3|py3|pycon|ipython)\s*$"
    r"|^ *\.\. (?:code|sourcecode)::\s*python\s*$"
    r"|^ *\.\. (?:doctest|testcode)::",
    re.MULTILINE,
)
PLACEHOLDER_TOKEN = "tskdp_..."


@attrs.frozen
class Block:
    """One Python block: where it starts (1-based line of its first code line) and its code."""

    path: Path
    line: int
    source: str
    shown: bool


def blocks(path: Path) -> list[Block]:
    """The Python blocks of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        i += 1
        if match is None or match["lang"] != "python":
            continue
        indent = len(match["indent"])
        while i < len(lines) and re.match(rf"^ {{{indent + 1},}}:\w[\w-]*:", lines[i]):
            i += 1  # directive options such as :caption:
        body: list[str] = []
        start = i
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
        ):
            body.append(lines[i])
            i += 1
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        source = textwrap.dedent("\n".join(body)).strip("\n")
        if source:
            found.append(Block(path, start + 1, source + "\n", match["kind"] == "code-block::"))
    return found


def problems(path: Path) -> list[str]:
    """Python blocks in ``path`` written in a form the runner would not run."""
    text = path.read_text(encoding="utf-8")
    return [
        f"{path}:{text[: m.start()].count(chr(10)) + 1}: {m.group().strip()!r}: "
        "write '.. code-block:: python' (it runs) or another language (it does not)"
        for m in _ESCAPES.finditer(text)
    ]


async def run(page: list[Block], namespace: dict[str, Any]) -> None:
    """Run the blocks of one page in order in ``namespace``; a failure names its line."""
    for block in page:
        before = set(namespace)
        # Padded so that a traceback shows the line number in the page itself.
        padded = "\n" * (block.line - 1) + block.source
        code = compile(padded, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)  # the snippet is the test
        if inspect.iscoroutine(result):
            await result
        for name in sorted(set(namespace) - before):
            test = namespace[name]
            if name.startswith("test_") and inspect.iscoroutinefunction(test):
                await _run_test(test)


async def run_page(path: Path, fake: FakeTaskade) -> None:
    """Run the page's blocks with ``fake`` and ``s``, an open session on it, defined."""
    async with Session(base_url=fake.base_url) as s:
        await run(blocks(path), {"__name__": "__docs__", "fake": fake, "s": s})


async def _run_test(test: Any) -> None:
    """Run a test a snippet defines with fresh fixtures, as the pytest plugin gives them.

    A ``@pytest.mark.taskade(...)`` on the test applies, as with the plugin.
    """
    marks = [m for m in getattr(test, "pytestmark", []) if m.name == pytest_plugin._MARK]
    given = marks[0].kwargs if marks else {}
    async with FakeTaskade() as fake:
        pytest_plugin._configure_fake(fake, given)
        kwargs = pytest_plugin._session_arguments(given)
        async with Session(fake.token, base_url=fake.base_url, **kwargs) as session:
            fixtures = {"taskade_fake": fake, "taskade_session": session}
            await test(**{p: fixtures[p] for p in inspect.signature(test).parameters})
