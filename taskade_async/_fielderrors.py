"""FieldError: a known field, or an object itself, of the wrong JSON type, and where it is.

The compiled structure functions (:mod:`._structure`) raise these relative to
their object; the decoders of the operations locate them in the body.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from ._errors import ProtocolError

__all__ = [
    "FieldError",
    "bad_object",
    "json_type",
    "missing_field",
    "nested_error",
    "wrong_item",
    "wrong_type",
]


def _path(steps: Sequence[str | int]) -> str:
    """``["items", 3, "completed"]`` -> ``items[3].completed``."""
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else f".{step}" if out else step
    return out


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type."""
    name: str = _JSON_TYPES.get(value.__class__, value.__class__.__name__)
    return name


_JSON_TYPES: Final = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    dict: "object",
    list: "array",
    type(None): "null",
}


class FieldError(ProtocolError):
    """A known field, or an object itself, does not have the documented JSON type.

    ``path`` locates it (``["items", 3, "completed"]``; :attr:`field_path` renders
    ``items[3].completed``), ``received`` names the JSON type that came. The
    structure functions raise it relative to their object; the decoders of the
    operations add the operation's name, the path from the body's root and ``body``.
    """

    def __init__(self, model: str, problem: str, received: str) -> None:
        super().__init__(f"{model}: {problem}")
        self.model = model
        self.problem = problem
        self.received = received
        self.path: list[str | int] = []

    @property
    def field_path(self) -> str:
        """The path as text: ``items[3].completed``."""
        return _path(self.path)

    def within(self, step: str | int, cls: type | None = None) -> FieldError:
        """This error one level further out: ``step`` is a field name or a list index."""
        self.path.insert(0, step)
        if cls is not None:
            self.model = cls.__name__
        self.args = (f"{self.model}.{self.field_path}: {self.problem}",)
        return self

    def located(self, where: str, steps: Sequence[str | int], body: Any) -> FieldError:
        """This error as operation ``where`` saw it, with the body it came in."""
        self.path[:0] = steps
        self.args = (f"{where}: {self.field_path or 'the body'}: {self.problem}",)
        self.body = body
        try:
            self.body_excerpt = json.dumps(body)[:200]
        except (TypeError, ValueError):
            self.body_excerpt = repr(body)[:200]
        return self


def _got(value: Any) -> str:
    shown = repr(value)
    return f"{json_type(value)} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def bad_object(cls: type, value: Any) -> FieldError:
    return FieldError(cls.__name__, f"expected an object, got {_got(value)}", json_type(value))


def missing_field(cls: type, key: Any) -> FieldError:
    return FieldError(cls.__name__, f"the required field {key!r} is missing", "nothing")


def wrong_type(cls: type, wire: str, value: Any, expected: str) -> FieldError:
    """A field whose value is not of its declared JSON type."""
    error = FieldError(cls.__name__, f"expected {expected}, got {_got(value)}", json_type(value))
    return error.within(wire)


def wrong_item(
    cls: type, wire: str, values: Any, allowed: frozenset[type], expected: str
) -> FieldError:
    """The first item of a list field that is not of the declared JSON type."""
    for i, value in enumerate(values):
        if value is not None and value.__class__ not in allowed:
            error = FieldError(
                cls.__name__, f"expected {expected}, got {_got(value)}", json_type(value)
            )
            return error.within(i).within(wire)
    raise AssertionError("no bad item")  # pragma: no cover - only called on a bad list


def nested_error(
    error: FieldError, cls: type, wire: str, values: Any = None, hook: Any = None
) -> FieldError:
    """A nested model's error, located in this model (for a list: at the failing index)."""
    if values is not None:
        items = values.items() if values.__class__ is dict else enumerate(values)
        for key, value in items:
            if value is None:
                continue
            try:
                hook(value)
            except FieldError:
                error.path.insert(0, key)
                break
    return error.within(wire, cls)
