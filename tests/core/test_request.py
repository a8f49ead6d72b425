"""Pure request building: ids as single segments, queries, operations."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

import taskade_async as tk
from taskade_async._request import encode_query, encode_segment

OP = tk.Operation("taskGet", "GET", "/projects/{projectId}/tasks/{taskId}")


def _refused(value: str) -> bool:
    """Ids refused before sending: dot segments, blank ones, control characters."""
    control = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)
    return value in ("", ".", "..") or value.isspace() or control


@given(st.text(min_size=1).filter(lambda s: not _refused(s)))
def test_any_id_is_exactly_one_segment(value: str) -> None:
    """Every id not refused encodes to one segment that decodes back to it."""
    encoded = encode_segment(value, "id")
    assert not any(c in encoded for c in "/?#")
    assert unquote(encoded, errors="surrogatepass") == value
    assert encoded not in (".", "..")


@given(st.text(min_size=1).filter(lambda s: not _refused(s)), st.text(min_size=1))
def test_rendered_path_keeps_the_template(project: str, task: str) -> None:
    """A rendered path has exactly the template's segments whatever the ids hold."""
    if _refused(task):
        with pytest.raises(tk.ValidationError):
            OP.render((project, task))
        return
    path = OP.render((project, task))
    parts = path.split("/")
    assert parts[:2] == ["", "projects"]
    assert parts[3] == "tasks"
    assert len(parts) == 5


@pytest.mark.parametrize(
    "bad", ["", ".", "..", 7, None, "a\ud800", " ", "\t\n", "t1\n", "a\x00b", "x\x7f", "\x85"]
)
def test_bad_ids_are_refused(bad: object) -> None:
    """Empty, blank, dot, control-character, non-string and non-encodable ids are refused."""
    with pytest.raises(tk.ValidationError):
        encode_segment(bad, "taskId")  # type: ignore[arg-type]  # wrong types on purpose


def test_encode_query() -> None:
    """Query values: ints for whole floats, lowercase booleans, None left out, all escaped."""
    assert encode_query({"limit": 500.0, "a": None, "b": False, "q": "x y/&"}) == (
        "limit=500&b=false&q=x%20y%2F%26"
    )


def test_operation_knows_its_parameters_and_safety() -> None:
    """An Operation lists its path parameters and whether its method is idempotent."""
    assert OP.path_params == ("projectId", "taskId")
    assert OP.idempotent
    assert not tk.Operation("x", "POST", "/x").idempotent
    assert tk.Operation("x", "GET", "/me/projects").render(()) == "/me/projects"
