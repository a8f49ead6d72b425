"""Checks of ``export()``'s arguments, and options spelled as the command's flags."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from taskade_async._errors import ValidationError

__all__ = ["check_flag", "check_ids", "check_out_dir", "check_positive", "flags", "id_problem"]

#: Selection keys (in the checkpoint) and the command's flag for each.
_FLAGS = (("workspaces", "--workspace"), ("folders", "--folder"), ("projects", "--project"))


def check_positive(name: str, value: object) -> int:
    """``value`` if it is an int of at least 1; else ValidationError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be a positive int, not {value!r}")
    return value


def check_flag(name: str, value: object) -> bool:
    """``value`` if it is a bool; else ValidationError."""
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, not {value!r}")
    return value


def id_problem(value: object) -> str | None:
    """What makes ``value`` unusable as an id (a str, not blank, no control characters)."""
    if not isinstance(value, str):
        return f"an id must be a str, not {type(value).__name__}"
    if not value.strip():
        return "an id must not be blank"
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        return f"the id {value!r} holds a control character"
    return None


def check_ids(name: str, ids: Iterable[str]) -> frozenset[str]:
    """The ids of a filter (a list, tuple or set of str), each checked with :func:`id_problem`."""
    if isinstance(ids, str | bytes):
        raise ValidationError(f"{name} must be a list of ids, not one string: [{ids!r}]?")
    if not isinstance(ids, Iterable):
        raise ValidationError(f"{name} must be a list of ids, not {type(ids).__name__}")
    values = list(ids)
    for value in values:
        if (problem := id_problem(value)) is not None:
            raise ValidationError(f"{name}: {problem}")
    return frozenset(values)


def check_out_dir(out_dir: object) -> Path:
    """``out_dir`` as a Path (a str or path-like, not blank)."""
    if not isinstance(out_dir, str | os.PathLike) or not os.fspath(out_dir):
        raise ValidationError(f"out_dir must be a folder path, not {out_dir!r}")
    return Path(out_dir)


def flags(options: Mapping[str, Any]) -> str:
    """Export options (as the checkpoint holds them) spelled as the command's flags."""
    words = [f"--{name}" for name in ("details", "media") if options.get(name)]
    selection = options.get("selection") or {}
    for key, flag in _FLAGS:
        words += [f"{flag} {value}" for value in selection.get(key, ())]
    return " ".join(words) or "no --details, --media or filter"
