"""The hand-written validator for request bodies."""

from __future__ import annotations

from typing import Any

import pytest

from taskade_async.testing._validate import SchemaError, validate

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[a-z]*$"},
        "count": {"type": "integer", "minimum": 1, "maximum": 5},
        "flag": {"type": "boolean"},
        "maybe": {"type": "string", "nullable": True},
        "either": {"anyOf": [{"type": "number"}, {"type": "string", "enum": ["x"]}]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "map": {"type": "object", "additionalProperties": {"type": "number"}},
    },
    "required": ["name"],
    "additionalProperties": False,
}


def test_valid_values_pass() -> None:
    """A body within every rule passes, null included where nullable."""
    validate(
        _SCHEMA,
        {
            "name": "ab",
            "count": 5,
            "flag": False,
            "maybe": None,
            "either": 1.5,
            "tags": ["a"],
            "map": {"k": 1},
        },
    )
    validate(_SCHEMA, {"name": "a", "either": "x"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "body.name is required"),
        ({"name": ""}, "at least 1"),
        ({"name": "abcd"}, "at most 3"),
        ({"name": "A"}, "invalid format"),
        ({"name": "a", "count": True}, "type integer"),
        ({"name": "a", "count": 1.5}, "type integer"),
        ({"name": "a", "count": 6}, "<= 5"),
        ({"name": "a", "flag": 1}, "type boolean"),
        ({"name": "a", "either": "y"}, "none of the allowed shapes"),
        ({"name": "a", "tags": ["a", "b", "c"]}, "at most 2 items"),
        ({"name": "a", "tags": [1]}, "body.tags[0] must be of type string"),
        ({"name": "a", "map": {"k": "v"}}, "body.map.k must be of type number"),
        ({"name": "a", "other": 1}, "body.other is not an allowed property"),
        ({"name": None}, "body.name must not be null"),
    ],
)
def test_invalid_values_say_where_and_why(body: dict[str, Any], message: str) -> None:
    """Each broken rule raises SchemaError naming the place and the rule."""
    with pytest.raises(SchemaError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate(_SCHEMA, body)
