"""Pure request building: ids as single segments, queries, operations."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

import taskade_async as tk
from taskade_async._request import encode_query, encode_segment

OP = tk.Operation("taskGet", "GET", "/projects/{projectId}/tasks/{taskId}")


@given(st.text(min_size=1).filter(lambda s: s not in (".", "..")))
def test_any_id_is_exactly_one_segment(value: str) -> None:
    """Every id but '', '.' and '..' encodes to one segment that decodes back to it."""
    encoded = encode_segment(value, "id")
    assert not any(c in encoded for c in "/?#")
    assert unquote(encoded, errors="surrogatepass") == value
    assert encoded not in (".", "..")


@given(st.text(min_size=1).filter(lambda s: s not in (".", "..")), st.text(min_size=1))
def test_rendered_path_keeps_the_template(project: str, task: str) -> None:
    """A rendered path has exactly the template's segments whatever the ids hold."""
    if task in (".", ".."):
        with pytest.raises(tk.ValidationError):
            OP.render((project, task))
        return
    path = OP.render((project, task))
    parts = path.split("/")
    assert parts[:2] == ["", "projects"]
    assert parts[3] == "tasks"
    assert len(parts) == 5


@pytest.mark.parametrize("bad", ["", ".", "..", 7, None, "a\ud800"])
def test_bad_ids_are_refused(bad: object) -> None:
    """Empty, dot, non-string and non-encodable ids raise ValidationError."""
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
