"""Pure request building: ids as single segments, queries, operations."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

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


_ROOTS = [
    ("https://www.taskade.com/api/v1", None),
    ("http://127.0.0.1:8080/api/v1", None),
    ("http://user:p%40ss@localhost:9/x%20y/api/v1", "http://[::1]:7/api/v2"),
    ("http://127.0.0.1:8080", "https://example.com/v2/"),
]
_ID = st.text(min_size=1).filter(lambda s: not _refused(s))
_QUERY = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(st.none(), st.text(max_size=8), st.integers(), st.booleans()),
    max_size=3,
)


def _parsed(
    session: tk.Session, op: tk.Operation, args: tuple[str, ...], query: dict[str, Any]
) -> URL:
    """The URL as the request path made it before: the joined text, parsed."""
    root = str(session.base_url) if op.api == "v1" else session._v2_base
    assert root is not None
    path = root + op.render(args)
    qs = encode_query(query)
    return URL(f"{path}?{qs}" if qs else path, encoded=True)


@pytest.mark.parametrize(("base", "v2"), _ROOTS)
@given(project=_ID, task=_ID, query=_QUERY)
def test_url_from_parts_is_the_parsed_url(
    base: str, v2: str | None, project: str, task: str, query: dict[str, Any]
) -> None:
    """Session.url (a view's too) builds from the root's parts what parsing the text gives."""
    root_session = tk.Session("tskdp_x", base_url=base, v2_base_url=v2)
    v2_op = tk.Operation("v2Get", "GET", "/projects/{projectId}/tasks/{taskId}", api="v2")
    for session, op in itertools.product(
        (root_session, root_session.with_options(deadline=5)), (OP, v2_op)
    ):
        if op.api == "v2" and session._v2_base is None:
            continue
        url = session.url(op, (project, task), query)
        expected = _parsed(session, op, (project, task), query)
        assert url == expected
        assert str(url) == str(expected)
        assert (url.raw_path, url.raw_query_string, url.raw_fragment, url.host, url.port) == (
            expected.raw_path,
            expected.raw_query_string,
            expected.raw_fragment,
            expected.host,
            expected.port,
        )


@pytest.mark.parametrize("template", ["/a?x=1&id={id}", "/a/{id}#frag", "/a\t/{id}"])
def test_url_of_a_template_with_url_syntax_is_parsed_as_before(template: str) -> None:
    """A template holding ``?``, ``#`` or a tab is parsed as text, as it always was."""
    session = tk.Session("tskdp_x", base_url="http://127.0.0.1:8080/api/v1")
    op = tk.Operation("odd", "GET", template)
    assert not op.plain_path
    assert OP.plain_path
    for query in ({}, {"q": "a b"}):
        assert session.url(op, ("t1",), query) == _parsed(session, op, ("t1",), query)


class _Id(str):
    """A str subclass: rendered as encode_segment renders it."""


@given(st.lists(st.one_of(_ID, st.from_regex(r"[A-Za-z0-9_\-]+", fullmatch=True)), max_size=2))
def test_render_is_the_template_joined_with_encode_segment(ids: list[str]) -> None:
    """The fast path for plain ids renders exactly what encode_segment gives for each id."""
    op = tk.Operation("two", "GET", "/a/{x}/b/{y}")
    args = (*ids, "t1", _Id("p.2"))[:2]
    expected = f"/a/{encode_segment(args[0], 'x')}/b/{encode_segment(args[1], 'y')}"
    assert op.render(args) == expected
