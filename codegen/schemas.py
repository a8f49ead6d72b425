"""Read schemas into `Type` values, and one `Model` class per object schema."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import overrides
from .errors import SpecError
from .names import pascal, singular, snake
from .spec import Model, Prop, Type
from .table import CLASS_NAMES

__all__ = ["KNOWN_FORMATS", "KNOWN_KEYS", "SchemaReader"]

#: Every schema keyword the reader understands; anything else is an error.
KNOWN_KEYS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "enum", "$ref", "nullable",
        "minLength", "maxLength", "allOf", "anyOf", "default", "items", "format", "pattern",
        "minimum", "maximum", "maxItems", "minItems", "description", "example", "examples",
        "title",
    }
)  # fmt: skip
KNOWN_FORMATS = frozenset({"uri", "date", "date-time", "email"})
_COMPONENT = re.compile(r"^#/components/schemas/([A-Za-z0-9_]+)$")


class SchemaReader:
    """Turns schemas into :class:`Type` values, creating one :class:`Model` per object."""

    #: Class names chosen by hand (a subclass reads another spec's table).
    class_names: Mapping[str, str] = CLASS_NAMES

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.models: dict[str, Model] = {}
        self._by_key: dict[str, str] = {}
        self._components: dict[str, str] = {}

    def _check_keys(self, schema: dict[str, Any], where: str) -> None:
        unknown = set(schema) - KNOWN_KEYS
        if unknown:
            raise SpecError(f"{where}: unsupported schema keywords {sorted(unknown)}")
        if "format" in schema and schema["format"] not in KNOWN_FORMATS:
            raise SpecError(f"{where}: unsupported format {schema['format']!r}")

    def component(self, name: str, use: str) -> Type:
        """A named component: always its own class (two components may look alike)."""
        if name in self._components:
            self._mark(self.models[name], use)
            return Type("model", model=name)
        schema = self.doc["components"]["schemas"].get(name)
        where = f"#/components/schemas/{name}"
        if schema is None:
            raise SpecError(f"{where} does not exist")
        self._check_keys(schema, where)
        if schema.get("type") != "object" or not schema.get("properties"):
            raise SpecError(f"{where}: only object components are supported")
        self._components[name] = name
        return self._object(schema, schema, name, use, where, named=True)

    def _deref(self, schema: dict[str, Any], root: dict[str, Any]) -> tuple[Any, Any]:
        ref = schema["$ref"]
        target = overrides.resolve_ref(self.doc, root, ref)
        if ref.startswith("#/components/schemas/"):
            root = self.doc["components"]["schemas"][ref.split("/")[3]]
        return target, root

    def type_of(self, schema: Any, root: dict[str, Any], hint: str, use: str, where: str) -> Type:
        """The type of ``schema`` (refs read from ``root``); ``hint`` names a new class."""
        if not isinstance(schema, dict):
            raise SpecError(f"{where}: a schema must be an object")
        self._check_keys(schema, where)
        nullable = bool(schema.get("nullable"))
        if "$ref" in schema:
            extra = set(schema) - {"$ref", "description", "nullable"}
            if extra:
                raise SpecError(f"{where}: $ref with siblings {sorted(extra)}")
            ref = schema["$ref"]
            match = _COMPONENT.match(ref)
            if match:
                t = self.component(match.group(1), use)
            else:
                target, new_root = self._deref(schema, root)
                t = self.type_of(target, new_root, hint, use, ref)
            return _with_null(t, nullable)
        if "allOf" in schema:
            parts = schema["allOf"]
            if len(parts) != 1 or "type" in schema or "properties" in schema:
                raise SpecError(f"{where}: allOf is only understood with exactly one member")
            return _with_null(self.type_of(parts[0], root, hint, use, where + "/allOf/0"), nullable)
        if "anyOf" in schema:
            return _with_null(self._any_of(schema, root, hint, use, where), nullable)
        kind = schema.get("type")
        if kind is None:
            if "enum" in schema or "properties" in schema or "items" in schema:
                raise SpecError(f"{where}: a schema with content but no type")
            return Type("any", nullable=True)
        if kind == "array":
            if "items" not in schema:
                raise SpecError(f"{where}: array without items")
            item = self.type_of(schema["items"], root, singular(hint), use, where + "/items")
            return Type(
                "list",
                nullable=nullable,
                item=item,
                min_items=schema.get("minItems"),
                max_items=schema.get("maxItems"),
            )
        if kind == "object":
            return _with_null(self._object(schema, root, hint, use, where), nullable)
        return _scalar(schema, kind, nullable, where)

    def _any_of(
        self, schema: dict[str, Any], root: dict[str, Any], hint: str, use: str, where: str
    ) -> Type:
        branches = []
        for i, branch in enumerate(schema["anyOf"]):
            branch_root = root
            if isinstance(branch, dict) and "$ref" in branch:
                if _COMPONENT.match(branch["$ref"]):
                    branch_root = branch = self.doc["components"]["schemas"][
                        branch["$ref"].split("/")[3]
                    ]
                else:
                    branch, branch_root = self._deref(branch, root)
            branches.append((i, branch, branch_root))
        if len(branches) == 1:
            _, branch, branch_root = branches[0]
            return self.type_of(branch, branch_root, hint, use, where + "/anyOf/0")
        kinds = {b.get("type") for _, b, _ in branches}
        if kinds == {"object"}:
            # A tagged union of objects: kept as the JSON object the server sent
            # (every branch is still read, so unknown constructs inside fail here).
            for i, branch, branch_root in branches:
                self.type_of(branch, branch_root, f"{hint}{i}", "probe", f"{where}/anyOf/{i}")
            return Type("object")
        if "object" in kinds or "array" in kinds or None in kinds:
            raise SpecError(f"{where}: anyOf mixing objects and other types is not supported")
        options = tuple(self.type_of(b, r, hint, use, f"{where}/anyOf/{i}") for i, b, r in branches)
        return Type("union", options=options)

    def _object(
        self,
        schema: dict[str, Any],
        root: dict[str, Any],
        hint: str,
        use: str,
        where: str,
        *,
        named: bool = False,
    ) -> Type:
        props = schema.get("properties") or {}
        additional = schema.get("additionalProperties", True)
        if not props:
            if isinstance(additional, dict):
                value = self.type_of(additional, root, hint + "Entry", use, where + "/additional")
                return Type("map", item=value)
            return Type("object")
        key = json.dumps({**_strip(schema), "nullable": None}, sort_keys=True)
        name = self.class_names.get(hint, hint)
        # A name chosen in the table gets its own class; other objects that look
        # exactly like one already seen share its class.
        same = self._by_key.get(key)
        if same is not None and not named and (hint not in self.class_names or same == name):
            model = self.models[same]
            self._mark(model, use)
            return Type("model", model=model.name)
        if name in self.models:
            raise SpecError(f"{where}: two different objects want the class name {name}")
        model = Model(name=name, props=[], doc=where)
        if use != "probe":
            self.models[name] = model
            self._by_key.setdefault(key, name)
            model.uses.add(use)
        required = set(schema.get("required", []))
        missing = required - set(props)
        if missing:
            raise SpecError(f"{where}: required names not in properties: {sorted(missing)}")
        names: set[str] = set()
        for wire, sub in props.items():
            py = snake(wire)
            if py in names or py == "extra":
                raise SpecError(f"{where}: property {wire!r} clashes as {py!r}")
            names.add(py)
            sub_hint = name + pascal(wire)
            t = self.type_of(sub, root, sub_hint, use, f"{where}/properties/{wire}")
            model.props.append(Prop(wire=wire, name=py, type=t, required=wire in required))
        return Type("model", model=name)

    def _mark(self, model: Model, use: str) -> None:
        if use == "probe" or use in model.uses:
            return
        model.uses.add(use)
        for prop in model.props:
            for name in _models_in(prop.type):
                self._mark(self.models[name], use)


def _scalar(schema: dict[str, Any], kind: Any, nullable: bool, where: str) -> Type:
    """A string (or enum), number, integer or boolean schema's type."""
    if kind == "string":
        if "enum" in schema:
            return Type("enum", nullable=nullable, enum=tuple(schema["enum"]))
        return Type(
            "str",
            nullable=nullable,
            min_length=schema.get("minLength"),
            max_length=schema.get("maxLength"),
            pattern=schema.get("pattern"),
            format="date" if schema.get("format") == "date" else None,
        )
    if kind in ("number", "integer"):
        return Type(
            "int" if kind == "integer" else "number",
            nullable=nullable,
            minimum=schema.get("minimum"),
            maximum=schema.get("maximum"),
        )
    if kind == "boolean":
        return Type("bool", nullable=nullable)
    raise SpecError(f"{where}: unsupported type {kind!r}")


def _strip(schema: Any) -> Any:
    """A schema without its prose (which never changes the shape)."""
    if isinstance(schema, list):
        return [_strip(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("description", "example", "examples", "title"):
            continue
        if k == "properties" and isinstance(v, dict):
            out[k] = {name: _strip(sub) for name, sub in v.items()}
        else:
            out[k] = _strip(v)
    return out


def _with_null(t: Type, nullable: bool) -> Type:
    if not nullable or t.nullable:
        return t
    return replace(t, nullable=True)


def _models_in(t: Type) -> list[str]:
    if t.kind == "model" and t.model:
        return [t.model]
    if t.item is not None:
        return _models_in(t.item)
    return []
