"""Read the v2 excerpt (openapi-v2-excerpt.json) into the same model as v1.

The v2 operations join v1's in the resource modules; their classes join v1's
models (a component both specs share is v1's class). What v2 does differently
is recorded on each :class:`Operation`: its API root, its retry safety, the
body ids taken positionally, and a longer deadline where one is needed.
"""

from __future__ import annotations

from typing import Any

from . import overrides
from .errors import SpecError
from .names import pascal
from .operations import Reader
from .spec import Operation, Returns
from .table import (
    V2_CLASS_NAMES,
    V2_MIN_DEADLINE,
    V2_OPERATIONS,
    V2_PATH_PARAMS,
    V2_POSITIONAL,
    V2_RETRY_SAFE,
    V2_RETURN_FIELD,
    Entry,
)

__all__ = ["V2Reader", "read_v2"]


class V2Reader(Reader):
    """A :class:`Reader` of the v2 excerpt that adds its classes to v1's."""

    table = V2_OPERATIONS
    class_names = V2_CLASS_NAMES

    def __init__(self, doc: dict[str, Any], v1: Reader) -> None:
        super().__init__(doc)
        # One set of classes for both APIs: the same names, the same shapes shared.
        self.models = v1.models
        self._by_key = v1._by_key
        for name in overrides.V2_SHARED_COMPONENTS:
            if name not in v1.models:
                raise SpecError(f"{name}: not a v1 class; review V2_SHARED_COMPONENTS")
            self._components[name] = name

    def _returns(self, operation_id: str, op: dict[str, Any], entry: Entry) -> Returns:
        key = V2_RETURN_FIELD.get(operation_id)
        if key is None:
            return super()._returns(operation_id, op, entry)
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        if key not in schema.get("properties", {}) or key not in schema.get("required", []):
            raise SpecError(f"{operation_id}: no required {key!r} to return; review the table")
        hint = pascal(operation_id) + pascal(key)
        t = self.type_of(schema["properties"][key], schema, hint, "response", operation_id)
        if t.kind not in ("str", "bool", "model"):
            raise SpecError(f"{operation_id}: cannot return a {t.kind} field")
        return Returns("field", type=t, key=key)


def read_v2(doc: dict[str, Any], v1: Reader) -> list[Operation]:
    """The v2 operations, their classes added to ``v1.models``."""
    reader = V2Reader(overrides.patch_v2(doc, v1.doc), v1)
    models_before = set(v1.models)
    ops = reader.operations()
    for name in set(v1.models) - models_before:
        v1.models[name].doc = "v2 " + v1.models[name].doc
    for op in ops:
        op.api = "v2"
        if op.operation_id not in V2_RETRY_SAFE:
            raise SpecError(f"{op.operation_id}: say in V2_RETRY_SAFE whether it may be retried")
        op.retry_safe = V2_RETRY_SAFE[op.operation_id]
        op.min_deadline = V2_MIN_DEADLINE.get(op.operation_id)
        positional = V2_POSITIONAL.get(op.operation_id, ())
        body = {b.wire: b for b in op.body}
        for wire in positional:
            if wire not in body or not body[wire].required or body[wire].type.kind != "str":
                raise SpecError(f"{op.operation_id}: {wire} is not a required string of the body")
        op.positional_body = positional
        for old, new in V2_PATH_PARAMS.get(op.operation_id, {}).items():
            if old not in op.path_params:
                raise SpecError(f"{op.operation_id}: no path parameter {old}; review the table")
            op.path = op.path.replace("{" + old + "}", "{" + new + "}")
            op.path_params = [new if p == old else p for p in op.path_params]
    return ops
