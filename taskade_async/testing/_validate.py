"""A small validator for the JSON-schema subset the API's request bodies use.

Schemas are plain dicts in JSON-schema form (``type``, ``enum``,
``properties``, ``required``, ``additionalProperties``, ``minLength``,
``maxLength``, ``pattern``, ``minItems``, ``maxItems``, ``minimum``,
``maximum``, ``anyOf``, ``nullable``, and ``format: date`` for a real calendar
date), written by hand in :mod:`._schemas`.
The spec itself is never read at run time.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["Schema", "SchemaError", "validate"]

Schema = Mapping[str, Any]


class SchemaError(ValueError):
    """The value breaks the schema; the message says where and how."""


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    raise AssertionError(f"schema uses unsupported type {kind!r}")


def validate(schema: Schema, value: Any, where: str = "body") -> None:
    """Raise :class:`SchemaError` unless ``value`` satisfies ``schema``."""
    if value is None:
        if schema.get("nullable"):
            return
        if "type" in schema or "properties" in schema:
            raise SchemaError(f"{where} must not be null")
    if "anyOf" in schema:
        problems = []
        for branch in schema["anyOf"]:
            try:
                validate(branch, value, where)
            except SchemaError as exc:
                problems.append(str(exc))
            else:
                break
        else:
            raise SchemaError(f"{where} matches none of the allowed shapes ({'; '.join(problems)})")
    kind = schema.get("type")
    if kind is not None and not _type_ok(kind, value):
        raise SchemaError(f"{where} must be of type {kind}")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"][:8])
        raise SchemaError(
            f"{where} must be one of {allowed}{', ...' if len(schema['enum']) > 8 else ''}"
        )
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise SchemaError(f"{where} must be at least {schema['minLength']} characters long")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise SchemaError(f"{where} must be at most {schema['maxLength']} characters long")
        if "pattern" in schema and _regex(schema["pattern"]).search(value) is None:
            raise SchemaError(f"{where} has an invalid format")
        if schema.get("format") == "date":
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise SchemaError(f"{where} is not a calendar date") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaError(f"{where} must be >= {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaError(f"{where} must be <= {schema['maximum']}")
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise SchemaError(f"{where} must hold at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaError(f"{where} must hold at most {schema['maxItems']} items")
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(value):
                validate(items, item, f"{where}[{i}]")
    elif isinstance(value, dict):
        _validate_object(schema, value, where)


def _validate_object(schema: Schema, value: dict[str, Any], where: str) -> None:
    properties: Mapping[str, Schema] = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            raise SchemaError(f"{where}.{name} is required")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        sub = properties.get(name)
        if sub is not None:
            validate(sub, item, f"{where}.{name}")
        elif extra is False:
            raise SchemaError(f"{where}.{name} is not an allowed property")
        elif isinstance(extra, Mapping):
            validate(extra, item, f"{where}.{name}")
