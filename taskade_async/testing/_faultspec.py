"""Random faults written as text: ``reset:0.02,503:0.03,429:0.01`` (serve, admin, pytest).

Each item is ``name:value``. Names: ``reset`` (carried out, then the
connection drops: a lost answer), ``reset_mid_body`` (half the answer),
``503``, ``429``, ``slow`` (rates from 0 to 1), ``slow_seconds``,
``retry_after`` (seconds of the 429s), ``seed`` (an int), and
``method`` / ``path`` (which requests: a method, a path glob).
The long names of :class:`RandomFaults` (``reset_after``, ``unavailable``,
``rate_limited``) are accepted too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["parse_faults"]

_ALIASES: Final = {"reset": "reset_after", "503": "unavailable", "429": "rate_limited"}
_RATES: Final = frozenset({"reset_after", "reset_mid_body", "unavailable", "rate_limited", "slow"})
_SECONDS: Final = frozenset({"slow_seconds", "retry_after"})
_TEXT: Final = frozenset({"method", "path"})


def parse_faults(spec: str | Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`RandomFaults` arguments ``spec`` names; ValueError says what is wrong.

    ``spec`` is the text form, or a mapping of the same names to values.
    """
    items: list[tuple[str, Any]]
    if isinstance(spec, str):
        items = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, sep, value = part.partition(":")
            if not sep:
                raise ValueError(f"faults: {part!r} is not name:value")
            items.append((name.strip(), value.strip()))
    else:
        items = list(spec.items())
    out: dict[str, Any] = {}
    for raw_name, value in items:
        name = _ALIASES.get(str(raw_name), str(raw_name))
        if name in out:
            raise ValueError(f"faults: {raw_name} given twice")
        out[name] = _value(str(raw_name), name, value)
    return out


def _value(shown: str, name: str, value: Any) -> Any:
    if name in _TEXT:
        if not isinstance(value, str) or not value:
            raise ValueError(f"faults: {shown} must be a non-empty text")
        return value
    if name == "seed":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"faults: seed must be an int, not {value!r}") from None
    if name not in _RATES and name not in _SECONDS:
        known = ", ".join(["reset", "reset_mid_body", "503", "429", "slow", *sorted(_SECONDS)])
        raise ValueError(f"faults: unknown name {shown!r} (known: {known}, seed, method, path)")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"faults: {shown} must be a number, not {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ValueError(f"faults: {shown} must be a finite number >= 0, not {value!r}")
    if name in _RATES and number > 1:
        raise ValueError(f"faults: {shown} is a rate from 0 to 1, not {value!r}")
    return number
