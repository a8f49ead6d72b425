"""The decoder of 2xx answers: msgspec's speed, the stdlib's results and errors."""

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


def test_msgspec_is_used_when_installed() -> None:
    """With the speedups extra (the test extra has it) the fast decoder is msgspec."""
    assert _json.DECODER == "msgspec"
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
    """They come back as the exact integers (orjson would round them to floats)."""
    value = _json.loads(b'{"id": %d, "ids": [1, %d]}' % (number, number))
    assert value == {"id": number, "ids": [1, number]}
    assert type(value["id"]) is int


@pytest.mark.parametrize(
    "data",
    [
        b'{"s": "\\ud800"}',  # a lone surrogate
        b'{"s": "\xed\xbf\xbf"}',  # a surrogate encoded in UTF-8
        '{"a": [1, 2]}'.encode("utf-16"),  # UTF-16 with its BOM
        b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 BOM
        b'{"x": [1e400, -1e999]}',  # beyond the double range: infinities
    ],
    ids=["surrogate", "encoded-surrogate", "utf16", "bom", "infinity"],
)
def test_what_msgspec_refuses_the_stdlib_decodes(data: bytes) -> None:
    """JSON that msgspec refuses but the stdlib accepts is still decoded, as the stdlib does."""
    assert _json.loads(data) == json.loads(data)


def test_deep_nesting_is_decoded() -> None:
    """Nesting within the interpreter's stack decodes."""
    value = _json.loads(b"[" * 500 + b"]" * 500)
    depth = 0
    while value:
        value, depth = value[0], depth + 1
    assert depth == 499  # the innermost list is empty


def test_nan_decodes_as_the_stdlib_does() -> None:
    """The stdlib's NaN extension still decodes (msgspec refuses it)."""
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
