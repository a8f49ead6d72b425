"""The decoder of 2xx answers: orjson's speed, the stdlib's results and errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskade_async import _json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=25,
)


def test_orjson_is_used_when_installed() -> None:
    """With the speedups extra (the test extra has it) the fast decoder is orjson."""
    assert _json.DECODER == "orjson"
    assert _json.loads is not json.loads


@given(JSON)
def test_the_same_values_as_the_stdlib(value: Any) -> None:
    """Any JSON document decodes to exactly what ``json.loads`` gives."""
    data = json.dumps(value, ensure_ascii=False).encode()
    assert _json.loads(data) == json.loads(data)


@pytest.mark.parametrize(
    "number", [-9223372036854775809, 18446744073709551617, -(10**30) - 1, 10**40 + 1]
)
def test_integers_beyond_64_bits_stay_exact(number: int) -> None:
    """orjson would round them to floats; they come back as the exact integers."""
    value = _json.loads(b'{"id": %d, "ids": [1, %d]}' % (number, number))
    assert value == {"id": number, "ids": [1, number]}
    assert type(value["id"]) is int


@pytest.mark.parametrize(
    "data",
    [
        b'{"n": 1180591620717411303424}',  # beyond 64 bits
        b'{"s": "\\ud800"}',  # a lone surrogate
        '{"a": [1, 2]}'.encode("utf-16"),  # UTF-16 with its BOM
        b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 BOM
    ],
    ids=["bigint", "surrogate", "utf16", "bom"],
)
def test_what_orjson_refuses_the_stdlib_decodes(data: bytes) -> None:
    """JSON that orjson refuses but the stdlib accepts is still decoded, as the stdlib does."""
    assert _json.loads(data) == json.loads(data)


def test_nesting_orjson_accepts_is_decoded() -> None:
    """Nesting up to orjson's 1024 decodes (the stdlib may refuse it, as its stack allows)."""
    value = _json.loads(b"[" * 1000 + b"]" * 1000)
    depth = 0
    while value:
        value, depth = value[0], depth + 1
    assert depth == 999  # the innermost list is empty


def test_nan_decodes_as_the_stdlib_does() -> None:
    """The stdlib's NaN extension still decodes (orjson refuses it)."""
    assert math.isnan(_json.loads(b'{"x": NaN}')["x"])


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b'{"ok": true, "items": [', json.JSONDecodeError),
        (b'{"text": "\xff\xfe"}', UnicodeDecodeError),
        (b"[" * 200_000 + b"]" * 200_000, RecursionError),
    ],
    ids=["truncated", "not-utf8", "hostile-nesting"],
)
def test_errors_are_the_stdlibs(data: bytes, error: type[Exception]) -> None:
    """A body neither decoder accepts raises the stdlib's own error (the session classifies it)."""
    with pytest.raises(error):
        json.loads(data)
    with pytest.raises(error):
        _json.loads(data)
