"""The decoder of every 2xx answer: orjson when it is installed, the stdlib's ``json`` otherwise.

orjson (the ``speedups`` extra) decodes about twice as fast. It is strict
RFC 8259 JSON; whatever it refuses (NaN, integers beyond 64 bits, lone
surrogates, UTF-16, nesting past 1024) goes to :func:`json.loads`, which
then decodes it or raises as it would have alone. So the values, and the
errors, are the stdlib's either way (orjson only reaches deeper nesting
than a short stack lets the stdlib): what differs is the speed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["DECODER", "loads"]


def _fast(orjson_loads: Callable[[bytes], Any], error: type[Exception]) -> Callable[[bytes], Any]:
    def loads(data: bytes) -> Any:
        try:
            return orjson_loads(data)
        except error:
            return json.loads(data)  # the stdlib's verdict: decoded, or its own error

    return loads


loads: Callable[[bytes], Any]
try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    loads, DECODER = json.loads, "json"
else:
    loads, DECODER = _fast(orjson.loads, orjson.JSONDecodeError), "orjson"
