"""Compiled structure functions: JSON objects into the generated models, type-checked.

One function per model class, built once as Python source (the way cattrs'
``make_dict_structure_fn`` does), and one loop for a whole list of them (a
page: no call per item). Values are taken by plain lookups when every
documented field is present, each known field's JSON type is checked
with a class identity test (``null`` always passes), nested models call their
own function, and unknown keys are kept in the model's ``extra`` field.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from collections.abc import Callable
from typing import Any, Final

import attrs

from ._fielderrors import (
    FieldError,
    bad_object,
    json_type,
    missing_field,
    nested_error,
    wrong_item,
    wrong_type,
)
from ._validate import NO_EXTRA, Unset

__all__ = ["EXTRA", "FieldError", "json_type", "list_structure", "make_structure"]

#: The name of the field that keeps unknown keys.
EXTRA: Final = "extra"

#: The list function of each compiled structure function that has one.
_LISTS: Final[dict[Callable[..., Any], Callable[[list[Any]], list[Any]]]] = {}


#: After this many items of a list without every documented field, its list loop
#: stops trying the all-fields steps for the rest.
_MISSES: Final = 8


def list_structure(fn: Callable[..., Any]) -> Callable[[list[Any]], list[Any]] | None:
    """The compiled loop that applies structure function ``fn`` to a whole list (null
    items left out), or ``None`` if ``fn`` has none. It raises what ``fn`` raises."""
    return _LISTS.get(fn)


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


#: What each declared type accepts, as classes of decoded JSON values, and its JSON name.
_PRIMITIVES: Final[dict[Any, tuple[frozenset[type], str]]] = {
    str: (frozenset({str}), "a string"),
    bool: (frozenset({bool}), "a boolean"),
    int: (frozenset({int}), "an integer"),
    # A whole number is a valid JSON number; bool is not (its class is not int).
    float: (frozenset({float, int}), "a number"),
    dict: (frozenset({dict}), "an object"),
    list: (frozenset({list}), "an array"),
}


def _accepts(tp: Any) -> tuple[frozenset[type], str] | None:
    """The classes a field of type ``tp`` accepts (``None`` is always accepted), or
    ``None`` when anything goes (``Any``) or a nested model checks itself."""
    if tp is Any:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        classes: set[type] = set()
        names: list[str] = []
        for arg in typing.get_args(tp):
            if arg is type(None) or arg is Unset:
                continue
            sub = _accepts(arg)
            if sub is None:
                return None
            classes |= sub[0]
            names.append(sub[1])
        return frozenset(classes), " or ".join(names)
    if origin is typing.Literal:
        classes = {type(v) for v in typing.get_args(tp)}
        return frozenset(classes), " or ".join(_PRIMITIVES[c][1] for c in sorted(classes, key=str))
    if isinstance(tp, type) and attrs.has(tp):
        return None
    key = origin if origin is not None else tp
    if key in (collections.abc.Mapping,):
        key = dict
    return _PRIMITIVES.get(key)


def _check_lines(i: int, tp: Any, wire: str, env: dict[str, Any]) -> list[str]:
    """Lines that raise FieldError when ``v{i}`` is neither None nor of type ``tp``.

    One or two class identity tests per field: a decoded JSON value is exactly
    a str, int, float, bool, dict, list or None (bool is not int here).
    """
    accepts = _accepts(_unwrap_optional(tp) if _nested(tp) is None else tp)
    if accepts is None or _nested(tp) is not None:
        return []
    classes, expected = accepts
    v = f"v{i}"
    if len(classes) <= 2:
        test = " and ".join(f"{v}.__class__ is not {c.__name__}" for c in sorted(classes, key=str))
    else:
        env[f"__ok{i}"] = classes
        test = f"{v}.__class__ not in __ok{i}"
    lines = [
        f"if {test} and {v} is not None:",
        f"    raise __wrong(__cls, {wire!r}, {v}, {expected!r})",
    ]
    origin = typing.get_origin(_unwrap_optional(tp))
    args = typing.get_args(_unwrap_optional(tp))
    if origin is list and args:
        inner = _accepts(args[0])
        if inner is not None:
            env[f"__items{i}"] = inner[0]
            lines += [
                f"if {v} is not None:",
                f"    for __x in {v}:",
                f"        if __x.__class__ not in __items{i} and __x is not None:",
                f"            raise __wrong_item(__cls, {wire!r}, {v}, __items{i}, {inner[1]!r})",
            ]
    return lines


def make_structure(cls: type, hook_for: Callable[[type], Any]) -> Callable[..., Any]:
    """Compile ``structure(d)`` for one model class.

    The object is made with ``object.__new__`` and its slots filled directly
    (the models have no validators or converters), which is about twice as
    fast as calling the keyword-only ``__init__``. Each field's JSON type is
    checked with a class identity test (``null`` always passes).
    A list function (:func:`list_structure`) is compiled with it: the models of a
    list's items, null items left out, in one loop.
    """
    hints = typing.get_type_hints(cls)
    env: dict[str, Any] = {
        "__cls": cls,
        "__new": object.__new__,
        "__bad": bad_object,
        "__missing": missing_field,
        "__wrong": wrong_type,
        "__wrong_item": wrong_item,
        "__nested_error": nested_error,
        "__FieldError": FieldError,
        "__no_extra": NO_EXTRA,
    }
    body: list[str] = []  # the general path: d.get for optional fields
    fast: list[str] = []  # the all-fields-present path: values looked up before
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
        tp = hints[field.name]
        nested = _nested(tp)
        if nested is None:
            convert = _check_lines(i, tp, wire, env)
        else:
            how, inner = nested
            hook = f"__s{i}"
            env[hook] = hook_for(inner)
            convert = [f"if v{i} is not None:"]
            if how == "model":
                convert += [
                    "    try:",
                    f"        v{i} = {hook}(v{i})",
                    "    except __FieldError as e:",
                    f"        raise __nested_error(e, __cls, {wire!r}) from None",
                ]
            else:
                kind, expected, each = (
                    ("list", "an array", f"[None if x is None else {hook}(x) for x in v{i}]")
                    if how == "list"
                    else (
                        "dict",
                        "an object",
                        f"{{k: None if x is None else {hook}(x) for k, x in v{i}.items()}}",
                    )
                )
                convert += [
                    f"    if v{i}.__class__ is not {kind}:",
                    f"        raise __wrong(__cls, {wire!r}, v{i}, {expected!r})",
                    "    try:",
                    f"        v{i} = {each}",
                    "    except __FieldError as e:",
                    f"        raise __nested_error(e, __cls, {wire!r}, v{i}, {hook}) from None",
                ]
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
    if has_extra and known:
        # The common case, every documented field present: plain lookups, and then a
        # length check alone proves that there are no unknown fields.
        indices = [i for i, f in enumerate(attrs.fields(cls)) if not f.metadata.get(EXTRA)]
        take = [f"v{i} = d[{wire!r}]" for i, wire in zip(indices, known, strict=True)]
        build = ["o = __new(__cls)", *fast]
        build.append(f"o.{EXTRA} = __no_extra if len(d) == {len(known)} else {extra}")
        lines += [
            "def structure(d, _type=None):",
            "    try:",
            *_indent(take, 2),
            "    except (KeyError, TypeError, IndexError):",
            "        return structure_any(d)",
            *_indent(build, 1),
            "    return o",
            # A whole list in one loop: the same steps, without a call per item. Once a
            # few items lacked a field, the rest take the general steps at once (a
            # failed lookup raises, which costs more than the general steps).
            "def structure_list(raw):",
            "    out = []",
            "    append = out.append",
            "    misses = 0",
            "    for d in raw:",
            "        if d is None:",
            "            continue",
            f"        if misses < {_MISSES}:",
            "            try:",
            *_indent(take, 4),
            "            except (KeyError, TypeError, IndexError):",
            "                misses += 1",
            "            else:",
            *_indent(build, 4),
            "                append(o)",
            "                continue",
            "        append(structure_any(d))",
            "    return out",
        ]
        name = "structure"
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<structure {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, env)  # our own source, built from field metadata
    fn: Callable[..., Any] = env[name]
    if "structure_list" in env:
        _LISTS[fn] = env["structure_list"]
    return fn


def _indent(lines: list[str], depth: int) -> list[str]:
    return [" " * (4 * depth) + line for line in lines]
