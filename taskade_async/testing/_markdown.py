"""Markdown to a project outline, for the create-project operations.

A leading ``# Heading`` names the project; list items (``-``, ``*``, ``+`` or
``1.``) become tasks nested by indentation; other non-empty lines become
top-level tasks. The outline goes the other way for bundle exports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ._state import TaskSpec

__all__ = ["parse_project"]

_ITEM: Final = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d+[.)])(?:\s+\[[ xX]\])?\s+(?P<text>.*)$")
_HEADING: Final = re.compile(r"^#{1,6}\s+(?P<text>.*?)\s*#*\s*$")


def _width(indent: str) -> int:
    return len(indent.replace("\t", "    "))


def parse_project(markdown: str, default_name: str = "Untitled") -> tuple[str, list[TaskSpec]]:
    """The project name and its task outline from a markdown document."""
    name: str | None = None
    # Each open level: (indent width, the children list of that level).
    root: list[TaskSpec] = []
    stack: list[tuple[int, list[TaskSpec]]] = [(-1, root)]
    for line in markdown.splitlines():
        if not line.strip():
            continue
        heading = _HEADING.match(line)
        if heading and name is None and not root:
            name = heading.group("text") or default_name
            continue
        item = _ITEM.match(line)
        if item is None:
            text = heading.group("text") if heading else line.strip()
            width = -1
            stack[1:] = []
        else:
            text = item.group("text").strip()
            width = _width(item.group("indent"))
            while len(stack) > 1 and stack[-1][0] >= width:
                stack.pop()
        children: list[TaskSpec] = []
        stack[-1][1].append((text[:2000], children))
        if item is not None:
            stack.append((width, children))
    return name or default_name, _simplify(root)


def _simplify(outline: Sequence[TaskSpec]) -> list[TaskSpec]:
    result: list[TaskSpec] = []
    for spec in outline:
        if isinstance(spec, str):
            result.append(spec)
            continue
        text, children = spec
        result.append((text, _simplify(children)) if children else text)
    return result
