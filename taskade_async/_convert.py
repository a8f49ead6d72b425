"""The one converter between JSON and the generated models.

Wire names come from field metadata (``{"wire": "parentId"}``) recorded by the
generator; one hook factory turns them into a structure function per class,
built once (cattrs caches it) as compiled Python source, the way cattrs' own
``make_dict_structure_fn`` does: primitives are passed through untouched,
nested models call their own function, unknown keys are found with a set
comparison and kept in the model's ``extra`` field.
"""

from __future__ import annotations

import operator
import os
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import attrs
import cattrs

from ._errors import ProtocolError, ValidationError
from ._validate import NO_EXTRA, UNSET, Rule, check

__all__ = [
    "as_bool",
    "as_str",
    "body",
    "converter",
    "field",
    "item",
    "item_or_none",
    "items",
    "max_size",
    "optional",
    "query",
    "result",
    "structure_fn",
    "to_wire",
]

T = TypeVar("T")
#: The name of the field that keeps unknown keys.
EXTRA: Final = "extra"

converter: Final = cattrs.Converter()


def _unwrap_optional(tp: Any) -> Any:
    """``X | None`` -> ``X`` (other unions are returned as they are)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _nested(tp: Any) -> tuple[str, type] | None:
    """How a field's value must be converted: a model, a list or a map of models, or not."""
    tp = _unwrap_optional(tp)
    if isinstance(tp, type) and attrs.has(tp):
        return "model", tp
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list and args:
        inner = _unwrap_optional(args[0])
        if isinstance(inner, type) and attrs.has(inner):
            return "list", inner
    if origin is dict and len(args) == 2:
        inner = _unwrap_optional(args[1])
        if isinstance(inner, type) and attrs.has(inner):
            return "map", inner
    return None


def _bad(cls: type, value: Any) -> ProtocolError:
    return ProtocolError(
        f"{cls.__name__}: expected a JSON object, got {type(value).__name__}",
        body_excerpt=repr(value)[:200],
    )


def _missing(cls: type, key: Any) -> ProtocolError:
    return ProtocolError(f"{cls.__name__}: the required field {key!r} is missing")


def _not_list(cls: type, wire: str, value: Any) -> ProtocolError:
    return ProtocolError(f"{cls.__name__}.{wire}: expected a list, got {type(value).__name__}")


def _not_map(cls: type, wire: str, value: Any) -> ProtocolError:
    return ProtocolError(f"{cls.__name__}.{wire}: expected an object, got {type(value).__name__}")


def _make_structure(cls: type) -> Callable[..., Any]:
    """Compile ``structure(d)`` for one model class.

    The object is made with ``object.__new__`` and its slots filled directly
    (the models have no validators or converters), which is about twice as
    fast as calling the keyword-only ``__init__``.
    """
    hints = typing.get_type_hints(cls)
    env: dict[str, Any] = {
        "__cls": cls,
        "__new": object.__new__,
        "__bad": _bad,
        "__missing": _missing,
        "__not_list": _not_list,
        "__not_map": _not_map,
        "__no_extra": NO_EXTRA,
    }
    body: list[str] = []  # the general path: d.get for optional fields
    fast: list[str] = []  # the all-fields-present path: values come from one itemgetter
    known: list[str] = []
    has_extra = False
    for i, field in enumerate(attrs.fields(cls)):
        if field.metadata.get(EXTRA):
            has_extra = True
            continue
        wire = field.metadata["wire"]
        known.append(wire)
        if field.default is attrs.NOTHING:
            get = f"d[{wire!r}]"
        elif field.default is None:
            get = f"d.get({wire!r})"
        else:
            env[f"__default{i}"] = field.default
            get = f"d.get({wire!r}, __default{i})"
        nested = _nested(hints[field.name])
        if nested is None:
            body.append(f"o.{field.name} = {get}")
            fast.append(f"o.{field.name} = v{i}")
            continue
        how, inner = nested
        hook = f"__s{i}"
        env[hook] = converter.get_structure_hook(inner)
        convert = [f"if v{i} is not None:"]
        if how == "model":
            convert.append(f"    v{i} = {hook}(v{i})")
        elif how == "list":
            convert.append(f"    if v{i}.__class__ is not list:")
            convert.append(f"        raise __not_list(__cls, {wire!r}, v{i})")
            convert.append(f"    v{i} = [None if x is None else {hook}(x) for x in v{i}]")
        else:
            convert.append(f"    if v{i}.__class__ is not dict:")
            convert.append(f"        raise __not_map(__cls, {wire!r}, v{i})")
            convert.append(
                f"    v{i} = {{k: None if x is None else {hook}(x) for k, x in v{i}.items()}}"
            )
        body += [f"v{i} = {get}", *convert, f"o.{field.name} = v{i}"]
        fast += [*convert, f"o.{field.name} = v{i}"]
    known_set = frozenset(known)
    env["__known"] = known_set
    env["__only_known"] = known_set.issuperset
    extra = "{k: x for k, x in d.items() if k not in __known}"
    # No type check up front: a non-object fails on its first key lookup, and the
    # handler tells the two cases apart (a check per item costs ~5% on big pages).
    lines = [
        "def structure_any(d, _type=None):",
        "    o = __new(__cls)",
        "    try:",
        *(f"        {line}" for line in body),
        "    except (KeyError, TypeError, AttributeError, IndexError) as exc:",
        "        if d.__class__ is not dict:",
        "            raise __bad(__cls, d) from None",
        "        if isinstance(exc, KeyError):",
        "            raise __missing(__cls, exc.args[0]) from None",
        "        raise",
    ]
    if has_extra:
        lines.append(f"    o.{EXTRA} = __no_extra if __only_known(d) else {extra}")
    lines.append("    return o")
    name = "structure_any"
    if has_extra and len(known) >= 2:
        # The common case, every documented field present, takes all values in one
        # C call; then a length check alone proves there are no unknown fields.
        env["__all"] = operator.itemgetter(*known)
        indices = [i for i, f in enumerate(attrs.fields(cls)) if not f.metadata.get(EXTRA)]
        lines += [
            "def structure(d, _type=None):",
            "    try:",
            f"        {', '.join(f'v{i}' for i in indices)} = __all(d)",
            "    except (KeyError, TypeError, IndexError):",
            "        return structure_any(d)",
            "    o = __new(__cls)",
            *(f"    {line}" for line in fast),
            f"    o.{EXTRA} = __no_extra if len(d) == {len(known)} else {extra}",
            "    return o",
        ]
        name = "structure"
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<structure {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, env)  # our own source, built from field metadata
    fn: Callable[..., Any] = env[name]
    return fn


def _make_unstructure(cls: type) -> Callable[[Any], dict[str, Any]]:
    """``unstructure(obj)``: wire names, ``UNSET`` (and ``None`` for optional
    response fields, whose default is ``None``) left out, ``extra`` merged back."""
    plan: list[tuple[str, str, bool]] = []
    has_extra = False
    for field in attrs.fields(cls):
        if field.metadata.get(EXTRA):
            has_extra = True
            continue
        plan.append((field.name, field.metadata["wire"], field.default is None))
    steps = tuple(plan)

    def unstructure(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, wire, omit_none in steps:
            value = getattr(obj, name)
            if value is UNSET or (value is None and omit_none):
                continue
            out[wire] = to_wire(value)
        if has_extra:
            for key, value in getattr(obj, EXTRA).items():
                out.setdefault(key, value)
        return out

    return unstructure


converter.register_structure_hook_factory(attrs.has, _make_structure)
converter.register_unstructure_hook_factory(attrs.has, _make_unstructure)


_HOOKS: dict[tuple[type, bool], Callable[..., Any]] = {}


def structure_fn(cls: type[T], *, nullable: bool = False) -> Callable[[Any], T]:
    """The function that turns a JSON object into a ``cls`` (built on first use, then cached).

    With ``nullable``, a ``None`` (a null list item) passes through as ``None``.
    """
    try:
        return _HOOKS[cls, nullable]
    except KeyError:
        pass
    hook: Callable[..., Any] = converter.get_structure_hook(cls)
    if nullable:
        hook = optional(hook)
    _HOOKS[cls, nullable] = hook
    return hook


def to_wire(value: Any) -> Any:
    """A request value in JSON shape: models unstructured, plain values as they are."""
    if attrs.has(type(value)):
        return converter.get_unstructure_hook(type(value))(value)
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def body(where: str, rules: Sequence[Rule], values: Sequence[Any]) -> dict[str, Any]:
    """Check the body arguments and build the JSON body (``UNSET`` ones left out)."""
    check(where, rules, values)
    out: dict[str, Any] = {}
    for rule, value in zip(rules, values, strict=True):
        if value is not UNSET:
            out[rule.wire] = to_wire(value) if rule.convert else value
    return out


def query(where: str, rules: Sequence[Rule], values: Sequence[Any]) -> dict[str, Any]:
    """Check the query arguments and map them to wire names (``UNSET`` ones left out)."""
    check(where, rules, values)
    return {
        rule.wire: value
        for rule, value in zip(rules, values, strict=True)
        if value is not UNSET and value is not None
    }


def _field(payload: dict[str, Any], key: str, where: str) -> Any:
    try:
        return payload[key]
    except KeyError:
        raise ProtocolError(f"{where}: the response has no {key!r}") from None


def item(payload: dict[str, Any], decode: Callable[[Any], T], where: str) -> T:
    """``payload["item"]`` as a model; a missing or null item is a ProtocolError."""
    raw = _field(payload, "item", where)
    if raw is None:
        raise ProtocolError(f"{where}: the response's item is null")
    return decode(raw)


def item_or_none(payload: dict[str, Any], decode: Callable[[Any], T], where: str) -> T | None:
    """``payload["item"]`` as a model, or ``None`` where the API may send null."""
    raw = _field(payload, "item", where)
    return None if raw is None else decode(raw)


def items(payload: dict[str, Any], key: str, decode: Callable[[Any], T], where: str) -> list[T]:
    """``payload[key]`` (a list) as models."""
    raw = _field(payload, key, where)
    if raw.__class__ is not list:
        raise ProtocolError(f"{where}: expected a list under {key!r}, got {type(raw).__name__}")
    return [decode(x) for x in raw]


def field(payload: dict[str, Any], key: str, decode: Callable[[Any], T], where: str) -> T:
    """``payload[key]`` decoded; a missing or null member is a ProtocolError."""
    raw = _field(payload, key, where)
    if raw is None:
        raise ProtocolError(f"{where}: the response's {key} is null")
    return decode(raw)


def as_str(value: Any) -> str:
    """``value`` if it is a JSON string, else a ProtocolError."""
    if value.__class__ is not str:
        raise ProtocolError(f"expected a string, got {type(value).__name__}")
    return value


def as_bool(value: Any) -> bool:
    """``value`` if it is a JSON boolean, else a ProtocolError."""
    if value.__class__ is not bool:
        raise ProtocolError(f"expected a boolean, got {type(value).__name__}")
    return value


def result(payload: dict[str, Any], decode: Callable[[Any], T]) -> T:
    """The whole success object (minus ``ok``) as a result model."""
    return decode({k: v for k, v in payload.items() if k != "ok"})


def optional(decode: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """``decode`` that lets a null list item through as ``None``."""

    def decode_or_none(raw: Any) -> T | None:
        return None if raw is None else decode(raw)

    return decode_or_none


def max_size(data: Any, limit: int, where: str) -> None:
    """Refuse a raw body known to be over ``limit`` bytes before sending it."""
    size: int | None = None
    if isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
    elif isinstance(data, os.PathLike):
        try:
            size = os.stat(data).st_size
        except OSError:
            return  # the body reader reports the unreadable file
    elif hasattr(data, "seekable") and data.seekable():
        pos = data.tell()
        size = data.seek(0, os.SEEK_END) - pos
        data.seek(pos)
    if size is not None and size > limit:
        raise ValidationError(f"{where}: the body is {size} bytes; the API takes at most {limit}")
