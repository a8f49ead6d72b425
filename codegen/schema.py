"""Read the (corrected) spec into a small model of types, classes and operations."""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import overrides
from .errors import SpecError
from .table import CLASS_NAMES, OPERATIONS, Entry

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


def snake(name: str) -> str:
    """``parentId`` -> ``parent_id``, ``ownerID`` -> ``owner_id``, ``space_id`` stays."""
    out = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    out = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", out).lower().replace("-", "_")
    return out + "_" if keyword.iskeyword(out) else out


def pascal(name: str) -> str:
    """``parentId`` -> ``ParentId``, ``space_id`` -> ``SpaceId``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", name) if part)


def singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


@dataclass(frozen=True)
class Type:
    """A field's type: ``kind`` is str/int/number/bool/any/object/enum/union/list/map/model."""

    kind: str
    nullable: bool = False
    model: str | None = None
    item: Type | None = None
    enum: tuple[Any, ...] = ()
    options: tuple[Type, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    #: ``date``: a calendar date (other formats are not checked).
    format: str | None = None


@dataclass
class Prop:
    wire: str
    name: str
    type: Type
    required: bool


@dataclass
class Model:
    name: str
    props: list[Prop]
    uses: set[str] = field(default_factory=set)
    doc: str = ""

    @property
    def response(self) -> bool:
        """Models the server sends use ``None`` defaults; request-only ones ``UNSET``."""
        return "response" in self.uses


@dataclass
class Param:
    wire: str
    name: str
    type: Type
    required: bool
    default: Any = None


@dataclass
class Returns:
    """What a success holds: ``none``, ``item``, ``items``, ``result``, ``binary``,
    or ``field`` (one member of the success object, named by ``key``)."""

    kind: str
    type: Type | None = None
    key: str = "item"
    nullable: bool = False


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    entry: Entry
    path_params: list[str]
    query: list[Param]
    body: list[Param]
    raw_body: bool
    raw_limit: int | None
    returns: Returns
    #: Which API root the path is relative to (see ``codegen/v2.py``).
    api: str = "v1"
    #: Body properties taken as positional arguments after the path ids (v2 RPC ids).
    positional_body: tuple[str, ...] = ()
    #: Retry safety when the method does not tell it (None: by method).
    retry_safe: bool | None = None
    #: The call's default deadline is at least this many seconds (None: the session's).
    min_deadline: float | None = None


class Reader:
    """Turns schemas into :class:`Type` values, creating one :class:`Model` per object."""

    #: operationId -> where its function goes (a subclass reads another spec's table).
    table: Mapping[str, Entry] = OPERATIONS
    class_names: Mapping[str, str] = CLASS_NAMES

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.models: dict[str, Model] = {}
        self._by_key: dict[str, str] = {}
        self._components: dict[str, str] = {}

    # -- schemas -------------------------------------------------------------------

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
        raise SpecError(f"{where}: unsupported type {kind!r}")

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

    # -- operations ----------------------------------------------------------------

    def operations(self) -> list[Operation]:
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
        op_name = pascal(operation_id)
        path_params = re.findall(r"\{([^{}/]+)\}", path)
        declared = {p["name"]: p for p in op.get("parameters", [])}
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
        body: list[Param] = []
        raw = operation_id in overrides.RAW_BODY
        if "requestBody" in op:
            content = op["requestBody"].get("content", {})
            if set(content) != {"application/json"}:
                raise SpecError(f"{operation_id}: request body types {sorted(content)}")
            schema = content["application/json"]["schema"]
            self._check_keys(schema, operation_id)
            if schema.get("type") != "object" or not schema.get("properties"):
                raise SpecError(f"{operation_id}: the request body is not an object")
            required = set(schema.get("required", []))
            for wire, sub in schema["properties"].items():
                t = self.type_of(sub, schema, op_name + pascal(wire), "request", operation_id)
                body.append(Param(wire=wire, name=snake(wire), type=t, required=wire in required))
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
