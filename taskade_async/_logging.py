"""``TASKADE_LOG=debug|info|warning``: set up the ``taskade_async`` logger without code.

Read once, when ``taskade_async`` is imported (as ``OPENAI_LOG`` is). With it
set, the logger gets that level and a handler writing to stderr (unless one
was already added this way); unset or empty, logging is left to the program.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Final

__all__ = ["ENV", "configure", "level_of"]

ENV: Final = "TASKADE_LOG"
LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``TASKADE_LOG`` adds (so configuring twice adds it once)."""


def level_of(value: str | None) -> int | None:
    """The logging level a ``TASKADE_LOG`` value names; None for unset or empty.

    Case and surrounding spaces do not matter; another value raises ValueError.
    """
    if value is None or not value.strip():
        return None
    level = LEVELS.get(value.strip().lower())
    if level is None:
        raise ValueError(f"{ENV}={value!r}: expected one of {', '.join(LEVELS)}")
    return level


def configure(environ: Mapping[str, str] = os.environ) -> int | None:
    """Apply ``TASKADE_LOG`` from ``environ``; the level set, or None when it is not set.

    An unknown value is ignored with a warning (an import must not fail for it).
    """
    try:
        level = level_of(environ.get(ENV))
    except ValueError as exc:
        warnings.warn(f"{exc}; ignored", stacklevel=2)
        return None
    if level is None:
        return None
    logger = logging.getLogger("taskade_async")
    logger.setLevel(level)
    if not any(isinstance(h, _EnvHandler) for h in logger.handlers):
        handler = _EnvHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    return level
