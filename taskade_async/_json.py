"""The decoder of every 2xx answer: msgspec when it is installed, the stdlib's ``json`` otherwise.

msgspec (the ``speedups`` extra) decodes about twice as fast. It is strict
RFC 8259 JSON and keeps integers of any size exact; whatever it refuses
(NaN, lone surrogates, UTF-16 or a BOM, floats beyond the double range) goes
to :func:`json.loads`, which then decodes it or raises as it would have
alone. So the values, and the errors, are the stdlib's either way: what
differs is the speed.

(orjson, the extra's decoder in 0.1, turns an integer beyond 64 bits into
a float without a word; ruling such documents out first cost more than a
third of its speed.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["DECODER", "loads"]


def _fast(fast_loads: Callable[[bytes], Any], error: type[Exception]) -> Callable[[bytes], Any]:
    def loads(data: bytes) -> Any:
        try:
            return fast_loads(data)
        except error:
            return json.loads(data)  # the stdlib's verdict: decoded, or its own error

    return loads


loads: Callable[[bytes], Any]
try:
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    loads, DECODER = json.loads, "json"
else:
    loads, DECODER = _fast(msgspec.json.Decoder().decode, msgspec.DecodeError), "msgspec"
