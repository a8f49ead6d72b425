"""Load the official OpenAPI description into plain JSON schemas for jsonschema.

The spec's known defects are handled here (see ERRATA in the project brief):
2. ``$ref``s written relative to the root of the schema that holds them
   (``#/properties/...``), and refs deep into another component
   (``#/components/schemas/X/properties/...``): both resolved, and a ref that
   still cannot be resolved raises :class:`UnresolvableRef`.
3. ``nullable: true`` (with or without a ``type``): the value may also be null.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
_MAX_DEPTH: Final = 64


class UnresolvableRef(LookupError):
    """A ``$ref`` that points nowhere, even read relative to its own schema."""


def spec_path() -> Path:
    """Where the spec is: $TASKADE_OPENAPI, else ../shared/taskade/openapi-v1.json from the repo."""
    env = os.environ.get("TASKADE_OPENAPI")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "taskade" / "openapi-v1.json"


def spec_v2_path() -> Path:
    """Where the v2 excerpt is: $TASKADE_OPENAPI_V2, else ../shared/taskade/ from the repo."""
    env = os.environ.get("TASKADE_OPENAPI_V2")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "taskade" / "openapi-v2-excerpt.json"


def _walk(node: Any, parts: list[str]) -> Any:
    for part in parts:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise KeyError(key)
    return node


class SchemaLoader:
    """Turns spec schemas into self-contained JSON schemas (refs inlined, nullable rewritten)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def _resolve(self, ref: str, root: Any) -> tuple[Any, Any]:
        if not ref.startswith("#/"):
            raise UnresolvableRef(ref)
        parts = ref[2:].split("/")
        if parts[:2] == ["components", "schemas"] and len(parts) >= 3:
            try:
                target = _walk(self.spec, parts)
                component = _walk(self.spec, parts[:3])
            except KeyError:
                raise UnresolvableRef(ref) from None
            # Refs inside the target are relative to the component it lives in.
            return target, component
        try:  # ERRATA 2: written relative to the schema that contains it
            return _walk(root, parts), root
        except KeyError:
            pass
        try:
            return _walk(self.spec, parts), root
        except KeyError:
            raise UnresolvableRef(ref) from None

    def inline(self, schema: Any, root: Any | None = None, depth: int = 0) -> Any:
        """``schema`` with every ``$ref`` replaced by its target and nullable made explicit."""
        if depth > _MAX_DEPTH:
            raise UnresolvableRef("reference chain too deep (a cycle?)")
        if root is None:
            root = schema
        if isinstance(schema, list):
            return [self.inline(item, root, depth) for item in schema]
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            target, new_root = self._resolve(schema["$ref"], root)
            return self.inline(target, new_root, depth + 1)
        out = {key: self.inline(value, root, depth) for key, value in schema.items()}
        if out.pop("nullable", False) is True:
            return {"anyOf": [out, {"type": "null"}]}
        return out

    def operations(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """(operationId, method, path, operation) for every operation."""
        for path, item in self.spec["paths"].items():
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    yield operation["operationId"], method.upper(), path, operation

    def response_schemas(self) -> dict[tuple[str, str], Any]:
        """(operationId, status key) -> the inlined JSON schema of that response."""
        result = {}
        for operation_id, _, _, operation in self.operations():
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if content is not None:
                    schema = content["schema"]
                    result[(operation_id, status)] = self.inline(schema, schema)
        return result


@functools.cache
def load() -> SchemaLoader | None:
    """The loader for the spec file, or None if the file is absent."""
    path = spec_path()
    if not path.is_file():
        return None
    return SchemaLoader(json.loads(path.read_text(encoding="utf-8")))


@functools.cache
def load_v2() -> SchemaLoader | None:
    """The loader for the v2 excerpt, or None if the file is absent."""
    path = spec_v2_path()
    if not path.is_file():
        return None
    return SchemaLoader(json.loads(path.read_text(encoding="utf-8")))
