"""Python names derived from the spec's names."""

from __future__ import annotations

import keyword
import re

__all__ = ["pascal", "singular", "snake"]


def snake(name: str) -> str:
    """``parentId`` -> ``parent_id``, ``ownerID`` -> ``owner_id``, ``space_id`` stays."""
    out = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    out = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", out).lower().replace("-", "_")
    return out + "_" if keyword.iskeyword(out) else out


def pascal(name: str) -> str:
    """``parentId`` -> ``ParentId``, ``space_id`` -> ``SpaceId``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", name) if part)


def singular(name: str) -> str:
    """``items`` -> ``item`` (a list's element class is named after the list)."""
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name
