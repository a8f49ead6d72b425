"""Read the spec's paths into `Operation` values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import overrides
from .errors import SpecError
from .names import pascal, snake
from .schemas import SchemaReader
from .spec import Operation, Param, Returns
from .table import OPERATIONS, Entry

__all__ = ["Reader"]


class Reader(SchemaReader):
    """Reads every operation of the spec, and the classes its schemas need."""

    #: operationId -> where its function goes (a subclass reads another spec's table).
    table: Mapping[str, Entry] = OPERATIONS

    def operations(self) -> list[Operation]:
        """Every operation, in the spec's order; each one must be in the table and back."""
        ops: list[Operation] = []
        seen: set[str] = set()
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    raise SpecError(f"{path}: path-level parameters are not supported")
                operation_id = op["operationId"]
                if operation_id not in self.table:
                    raise SpecError(f"{operation_id}: not in codegen/table.py")
                seen.add(operation_id)
                ops.append(self._operation(path, method.upper(), op))
        missing = set(self.table) - seen
        if missing:
            raise SpecError(f"in codegen/table.py but not in the spec: {sorted(missing)}")
        return ops

    def _operation(self, path: str, method: str, op: dict[str, Any]) -> Operation:
        operation_id = op["operationId"]
        entry = self.table[operation_id]
        path_params = re.findall(r"\{([^{}/]+)\}", path)
        query = self._query(operation_id, op, path_params)
        body = self._body(operation_id, op)
        raw = operation_id in overrides.RAW_BODY
        keywords = [p.name for p in query] + [p.name for p in body]
        taken = {"session", "max_items", *(snake(p) for p in path_params)}
        if raw:
            taken |= {"data", "content_type"}
        if len(set(keywords)) != len(keywords) or taken & set(keywords):
            raise SpecError(f"{operation_id}: argument names clash: {sorted(keywords)}")
        return Operation(
            operation_id=operation_id,
            method=method,
            path=path,
            entry=entry,
            path_params=path_params,
            query=query,
            body=body,
            raw_body=raw,
            raw_limit=overrides.RAW_BODY.get(operation_id),
            returns=self._returns(operation_id, op, entry),
        )

    def _query(self, operation_id: str, op: dict[str, Any], path_params: list[str]) -> list[Param]:
        """The query parameters (path parameters are checked against the path)."""
        op_name = pascal(operation_id)
        declared = {p["name"] for p in op.get("parameters", [])}
        query: list[Param] = []
        for p in op.get("parameters", []):
            where = f"{operation_id} parameter {p['name']}"
            if p["in"] == "path":
                if p["name"] not in path_params or not p.get("required"):
                    raise SpecError(f"{where}: path parameter not in the path or not required")
            elif p["in"] == "query":
                t = self.type_of(p["schema"], p["schema"], op_name, "request", where)
                query.append(
                    Param(
                        wire=p["name"],
                        name=snake(p["name"]),
                        type=t,
                        required=bool(p.get("required")),
                        default=p["schema"].get("default"),
                    )
                )
            else:
                raise SpecError(f"{where}: parameters in {p['in']!r} are not supported")
        for name in path_params:
            if name not in declared:
                raise SpecError(f"{operation_id}: path parameter {name} is not declared")
        return query

    def _body(self, operation_id: str, op: dict[str, Any]) -> list[Param]:
        """The JSON body's properties (none without a request body)."""
        if "requestBody" not in op:
            return []
        content = op["requestBody"].get("content", {})
        if set(content) != {"application/json"}:
            raise SpecError(f"{operation_id}: request body types {sorted(content)}")
        schema = content["application/json"]["schema"]
        self._check_keys(schema, operation_id)
        if schema.get("type") != "object" or not schema.get("properties"):
            raise SpecError(f"{operation_id}: the request body is not an object")
        op_name = pascal(operation_id)
        required = set(schema.get("required", []))
        body: list[Param] = []
        for wire, sub in schema["properties"].items():
            t = self.type_of(sub, schema, op_name + pascal(wire), "request", operation_id)
            body.append(Param(wire=wire, name=snake(wire), type=t, required=wire in required))
        return body

    def _returns(self, operation_id: str, op: dict[str, Any], entry: Entry) -> Returns:
        if operation_id in overrides.BINARY:
            return Returns("binary")
        responses = op.get("responses", {})
        if "200" not in responses:
            raise SpecError(f"{operation_id}: no 200 response and not a known binary download")
        content = responses["200"].get("content", {})
        if set(content) != {"application/json"}:
            raise SpecError(f"{operation_id}: 200 response types {sorted(content)}")
        schema = content["application/json"]["schema"]
        self._check_keys(schema, operation_id)
        props = dict(schema.get("properties", {}))
        if "ok" not in props:
            raise SpecError(f"{operation_id}: success without 'ok'")
        del props["ok"]
        required = set(schema.get("required", []))
        op_name = pascal(operation_id)
        if not props:
            return Returns("none")
        if set(props) == {"item"}:
            t = self.type_of(props["item"], schema, op_name + "Item", "response", operation_id)
            nullable = t.nullable and operation_id not in overrides.ITEM_REQUIRED
            nullable = nullable or operation_id in overrides.ITEM_NULLABLE
            return Returns("item", type=t, nullable=nullable)
        if set(props) == {"items"}:
            t = self.type_of(props["items"], schema, op_name + "Item", "response", operation_id)
            if t.kind != "list":
                raise SpecError(f"{operation_id}: items is not a list")
            if entry.pager is None:
                raise SpecError(f"{operation_id}: a list answer needs a pager in codegen/table.py")
            return Returns("items", type=t, key="items")
        # More than an item: a small result class keeps every field.
        result = {"type": "object", "properties": props, "required": sorted(required - {"ok"})}
        t = self.type_of(result, schema, op_name + "Result", "response", operation_id)
        return Returns("result", type=t)
