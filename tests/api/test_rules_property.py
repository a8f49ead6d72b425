"""The generated argument checks agree with the (corrected) spec's own JSON schemas."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen import overrides
from taskade_async import ValidationError
from taskade_async._validate import UNSET, Rule, check
from taskade_async.api import tasks

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(
    os.environ.get("TASKADE_OPENAPI", ROOT.parent / "shared" / "taskade" / "openapi-v1.json")
)
pytestmark = pytest.mark.skipif(
    not SPEC.is_file(), reason="the official spec is not on this machine"
)

#: operationId -> (path, method), for the bodies compared here.
BODIES = {
    "taskPut": ("/projects/{projectId}/tasks/{taskId}", "put"),
    "taskCreate": ("/projects/{projectId}/tasks/", "post"),
    "taskMove": ("/projects/{projectId}/tasks/{taskId}/move", "put"),
    "taskPutDate": ("/projects/{projectId}/tasks/{taskId}/date", "put"),
    "taskNotePut": ("/projects/{projectId}/tasks/{taskId}/note", "put"),
    "taskFieldValuePut": ("/projects/{projectId}/tasks/{taskId}/fields/{fieldId}", "put"),
    "taskPutAssignees": ("/projects/{projectId}/tasks/{taskId}/assignees", "put"),
}


def _plain(schema: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 -> JSON Schema: component refs inlined, ``nullable`` as a null type."""
    if isinstance(schema, list):
        return [_plain(s, components) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _plain(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    out = {k: _plain(v, components) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _schemas() -> dict[str, Any]:
    spec = overrides.patch(json.loads(SPEC.read_bytes()))
    components = spec["components"]["schemas"]
    out = {}
    for operation_id, (path, method) in BODIES.items():
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        schema = copy.deepcopy(body["schema"])
        out[operation_id] = _plain(schema, components)
    return out


SCHEMAS = _schemas() if SPEC.is_file() else {}
RULES = {
    "taskPut": tasks.TASK_PUT_BODY,
    "taskCreate": tasks.TASK_CREATE_BODY,
    "taskMove": tasks.TASK_MOVE_BODY,
    "taskPutDate": tasks.TASK_PUT_DATE_BODY,
    "taskNotePut": tasks.TASK_NOTE_PUT_BODY,
    "taskFieldValuePut": tasks.TASK_FIELD_VALUE_PUT_BODY,
    "taskPutAssignees": tasks.TASK_PUT_ASSIGNEES_BODY,
}

# Values near the constraints: enum members and near misses, dates, lengths around limits.
TEXT = st.sampled_from(
    ["", "a", "x" * 2000, "x" * 2001, "a\nb", "text/plain", "text/markdown", "text/html",
     "beforebegin", "afterbegin", "beforeend", "afterend", "inside", "2026-07-21",
     "2026-07-21T09:00:00.000Z", "09:00", "25:00", "Europe/Paris", "t1"]
)  # fmt: skip
SCALAR = st.one_of(TEXT, st.none(), st.integers(-2, 3), st.floats(0, 2), st.booleans())


def shaped(rule: Rule) -> st.SearchStrategy[Any]:
    """Values of the rule's shape (mostly), built from values near its constraints."""
    if rule.kind == "str":
        good: st.SearchStrategy[Any] = (
            st.sampled_from([*sorted(rule.enum), "bogus"]) if rule.enum is not None else TEXT
        )
    elif rule.kind == "list":
        assert rule.item is not None
        good = st.lists(shaped(rule.item), max_size=(rule.max_items or 2) + 2)
    elif rule.kind == "object":
        required = {f.wire: shaped(f) for f in rule.fields if f.required}
        optional = {f.wire: shaped(f) for f in rule.fields if not f.required}
        good = st.fixed_dictionaries(required, optional=optional)
    elif rule.kind == "union":
        good = st.one_of([shaped(o) for o in rule.options])
    else:
        good = SCALAR
    if rule.nullable:
        good = st.one_of(good, st.none())
    # Mostly the right shape; one time in ten, any scalar (a wrong type or a null).
    return st.integers(0, 9).flatmap(lambda n: SCALAR if n == 0 else good)


#: (operationId, valid) pairs seen, so the last test can prove both kinds were tried.
OUTCOMES: set[tuple[str, bool]] = set()


@pytest.mark.parametrize("operation_id", sorted(BODIES))
@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_checks_agree_with_the_schema(operation_id: str, data: st.DataObject) -> None:
    """A body passes the generated checks exactly when it validates against the spec."""
    rules = RULES[operation_id]
    values = tuple(
        data.draw(shaped(rule) if rule.required else st.one_of(shaped(rule), st.just(None)))
        for rule in rules
    )
    body = {rule.wire: value for rule, value in zip(rules, values, strict=True)}
    # Optional arguments left out are not sent; a None there means "leave it out" too.
    sent = {k: v for (k, v), rule in zip(body.items(), rules, strict=True)
            if rule.required or v is not None}  # fmt: skip
    schema = SCHEMAS[operation_id]
    spec_ok = jsonschema.Draft7Validator(schema).is_valid(sent)
    try:
        check(operation_id, rules, tuple(sent.get(r.wire, UNSET) for r in rules))
    except ValidationError:
        ours_ok = False
    else:
        ours_ok = True
    if spec_ok != ours_ok and not _extra_keys(sent, schema):
        raise AssertionError(f"{operation_id}: spec says {spec_ok}, checks say {ours_ok}: {sent}")
    OUTCOMES.add((operation_id, spec_ok))


def _extra_keys(value: Any, schema: Any) -> bool:
    """Whether the body holds keys the schema does not list (the checks allow those)."""
    if isinstance(schema, dict) and "anyOf" in schema:
        return any(_extra_keys(value, s) for s in schema["anyOf"])
    if isinstance(value, dict) and isinstance(schema, dict) and "properties" in schema:
        props = schema["properties"]
        if set(value) - set(props):
            return True
        return any(_extra_keys(v, props[k]) for k, v in value.items())
    if isinstance(value, list) and isinstance(schema, dict) and "items" in schema:
        return any(_extra_keys(v, schema["items"]) for v in value)
    return False


def test_both_valid_and_invalid_bodies_were_tried() -> None:
    """The comparison above saw accepted and refused bodies for every operation."""
    for operation_id in BODIES:  # run alone (e.g. with -k), this runs the comparison itself
        if not {(operation_id, True), (operation_id, False)} <= OUTCOMES:
            test_checks_agree_with_the_schema(operation_id=operation_id)
    assert {(op, ok) for op in BODIES for ok in (True, False)} == OUTCOMES
