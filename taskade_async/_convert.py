"""The one converter between JSON and the generated models, and request bodies.

Wire names come from field metadata (``{"wire": "parentId"}``) recorded by the
generator. Structure functions (JSON -> model, type-checked) are compiled once
per class by :mod:`._structure` and cached by cattrs; unstructure functions
write wire names back, ``extra`` included. The decoders of the operations
(:func:`item`, :func:`items`, :func:`result`) locate a :class:`FieldError` in
the body and name the operation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import attrs
import cattrs

from ._errors import ProtocolError, ValidationError
from ._fielderrors import FieldError, json_type
from ._structure import EXTRA, list_structure, make_structure
from ._validate import UNSET, Rule, check, is_date

__all__ = [
    "FieldError",
    "as_bool",
    "as_str",
    "body",
    "converter",
    "decode_list",
    "field",
    "item",
    "item_or_none",
    "items",
    "max_size",
    "query",
    "result",
    "rule_json",
    "structure_fn",
    "to_wire",
]

T = TypeVar("T")
converter: Final = cattrs.Converter()


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


converter.register_structure_hook_factory(
    attrs.has, lambda cls: make_structure(cls, converter.get_structure_hook)
)
converter.register_unstructure_hook_factory(attrs.has, _make_unstructure)


_HOOKS: dict[type, Callable[..., Any]] = {}


def structure_fn(cls: type[T]) -> Callable[[Any], T]:
    """The function that turns a JSON object into a ``cls`` (built on first use, then cached).

    It raises :class:`FieldError` for a value of the wrong JSON type.
    """
    try:
        return _HOOKS[cls]
    except KeyError:
        pass
    hook: Callable[..., Any] = converter.get_structure_hook(cls)
    _HOOKS[cls] = hook
    return hook


def to_wire(value: Any) -> Any:
    """A request value in JSON shape: models unstructured, dates as ``YYYY-MM-DD``,
    plain values as they are."""
    if attrs.has(type(value)):
        return converter.get_unstructure_hook(type(value))(value)
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if is_date(value):
        return value.isoformat()
    return value


def rule_json(rule: Rule, value: Any) -> Any:
    """A checked argument in the API's JSON shape, following its rule: dict keys given
    in snake_case get their wire names, a bare date for a date object is wrapped."""
    if value is None:
        return None
    if rule.kind == "object" and rule.fields:
        if rule.date_field is not None and is_date(value):
            return {rule.date_field: value.isoformat()}
        if isinstance(value, dict):
            keys = rule.keys()
            return {keys[k].wire: rule_json(keys[k], v) for k, v in value.items()}
    elif rule.kind == "list" and rule.item is not None and isinstance(value, list | tuple):
        return [rule_json(rule.item, v) for v in value]
    return to_wire(value)


def body(where: str, rules: Sequence[Rule], values: Sequence[Any]) -> dict[str, Any]:
    """Check the body arguments and build the JSON body (``UNSET`` ones left out)."""
    check(where, rules, values)
    out: dict[str, Any] = {}
    for rule, value in zip(rules, values, strict=True):
        if value is not UNSET:
            out[rule.wire] = rule_json(rule, value) if rule.convert else value
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
    try:
        return decode(raw)
    except FieldError as exc:
        raise exc.located(where, ["item"], payload) from None


def item_or_none(payload: dict[str, Any], decode: Callable[[Any], T], where: str) -> T | None:
    """``payload["item"]`` as a model, or ``None`` where the API may send null."""
    raw = _field(payload, "item", where)
    if raw is None:
        return None
    try:
        return decode(raw)
    except FieldError as exc:
        raise exc.located(where, ["item"], payload) from None


def items(payload: dict[str, Any], key: str, decode: Callable[[Any], T], where: str) -> list[T]:
    """``payload[key]`` (a list) as models."""
    raw = _field(payload, key, where)
    if raw.__class__ is not list:
        raise ProtocolError(
            f"{where}: expected a list under {key!r}, got {json_type(raw)}", body=payload
        )
    return decode_list(raw, decode, where, key, payload)


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


def decode_list(
    raw: list[Any], decode: Callable[[Any], T], where: str, key: str, body: Any
) -> list[T]:
    """The models of a list's items, null items left out; a bad item is a FieldError
    naming ``where`` and the item's path in ``body``."""
    many = list_structure(decode)  # a model's compiled loop: no call per item
    try:
        return many(raw) if many is not None else [decode(x) for x in raw if x is not None]
    except FieldError as exc:
        index = next(i for i, x in enumerate(raw) if x is not None and _fails(decode, x))
        raise exc.located(where, [key, index], body) from None


def _fails(decode: Callable[[Any], Any], value: Any) -> bool:
    try:
        decode(value)
    except FieldError:
        return True
    return False


def result(payload: dict[str, Any], decode: Callable[[Any], T], where: str = "") -> T:
    """The whole success object (minus ``ok``) as a result model."""
    try:
        return decode({k: v for k, v in payload.items() if k != "ok"})
    except FieldError as exc:
        raise exc.located(where, [], payload) from None


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
