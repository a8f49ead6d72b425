"""The decoder of every 2xx answer: orjson when it is installed, the stdlib's ``json`` otherwise.

orjson (the ``speedups`` extra) decodes about twice as fast. It is strict
RFC 8259 JSON; whatever it refuses (NaN, lone surrogates, UTF-16, nesting
past 1024) goes to :func:`json.loads`, which then decodes it or raises as it
would have alone. orjson turns an integer beyond 64 bits into a float
without a word (a digit lost from an id), so a document with a run of 19
digits or more goes to :func:`json.loads` too. So the values, and the
errors, are the stdlib's either way (orjson only reaches deeper nesting
than a short stack lets the stdlib): what differs is the speed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["DECODER", "loads"]


#: Digits to "0", every other byte to " ": a run of 19 "0"s is a number orjson may round.
_DIGITS: Final = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG: Final = b"0" * 19  # every integer of 18 digits fits in 64 bits


def _fast(orjson_loads: Callable[[bytes], Any], error: type[Exception]) -> Callable[[bytes], Any]:
    def loads(data: bytes) -> Any:
        if _LONG in data.translate(_DIGITS):
            return json.loads(data)  # maybe an integer beyond 64 bits: exact only here
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
