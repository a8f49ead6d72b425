"""Argument checks made before anything is sent, from constraints the generator records.

The generated ``api`` modules hold each operation's constraints as data (a tuple
of :class:`Rule`); the code that checks them is here, written once.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs

from ._errors import ValidationError

__all__ = ["NO_EXTRA", "UNSET", "Rule", "Unset", "check", "is_date"]


class Unset(enum.Enum):
    """The type of :data:`UNSET`: "not sent", as opposed to ``None`` (sent as null)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: The default of every optional argument and request-model field: leave it out.
UNSET: Final = Unset.UNSET

#: The ``extra`` of a model without unknown fields: one shared, read-only empty mapping
#: (a fresh dict per object would double the garbage collector's work on big pages).
NO_EXTRA: Final[Mapping[str, Any]] = MappingProxyType({})

_KINDS: Final = frozenset({"str", "int", "number", "bool", "list", "object", "any", "union"})


class Rule:
    """The constraints of one argument or field, checked by :meth:`check`.

    ``name`` is the Python name (used in messages and to read model attributes),
    ``wire`` the JSON name. ``kind`` is one of ``str``, ``int``, ``number``,
    ``bool``, ``list``, ``object``, ``any`` or ``union`` (any of ``options``).
    ``convert`` says the value may hold models that must be turned into JSON.
    ``format="date"`` asks for a real calendar date (``YYYY-MM-DD`` or a
    ``datetime.date``); an object rule with ``date_field`` also takes a bare
    ``datetime.date``, meaning ``{date_field: the date}``. A dict given for an
    object with ``fields`` may use wire names or the models' snake_case names;
    any other key is refused.
    """

    __slots__ = (
        "_keys",
        "convert",
        "date_field",
        "enum",
        "fields",
        "format",
        "item",
        "kind",
        "max_items",
        "max_length",
        "maximum",
        "min_items",
        "min_length",
        "minimum",
        "name",
        "nullable",
        "options",
        "pattern",
        "required",
        "wire",
    )

    def __init__(
        self,
        name: str,
        wire: str,
        kind: str,
        *,
        required: bool = True,
        nullable: bool = False,
        enum: tuple[Any, ...] | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        min_items: int | None = None,
        max_items: int | None = None,
        item: Rule | None = None,
        fields: tuple[Rule, ...] = (),
        options: tuple[Rule, ...] = (),
        convert: bool = False,
        format: str | None = None,
        date_field: str | None = None,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown rule kind {kind!r}")
        self.name = name
        self.wire = wire
        self.kind = kind
        self.required = required
        self.nullable = nullable
        self.enum = frozenset(enum) if enum is not None else None
        self.min_length = min_length
        self.max_length = max_length
        #: Compiled on first use, so importing the api modules compiles no regex.
        self.pattern: re.Pattern[str] | str | None = pattern
        self.minimum = minimum
        self.maximum = maximum
        self.min_items = min_items
        self.max_items = max_items
        self.item = item
        self.fields = fields
        self.options = options
        self.convert = convert
        self.format = format
        self.date_field = date_field
        #: Accepted dict keys (wire and snake_case names) -> field; built on first use.
        self._keys: dict[str, Rule] | None = None

    def __repr__(self) -> str:
        return f"<Rule {self.name} {self.kind}>"

    def check(self, value: Any, path: str) -> None:
        """Raise ValidationError (naming ``path``) if ``value`` breaks this rule."""
        if value is None:
            if self.nullable or self.kind == "any":
                return
            raise ValidationError(f"{path} must not be None")
        kind = self.kind
        if kind == "str":
            if self.format == "date":
                self._check_date(value, path)
                return
            if not isinstance(value, str):
                raise ValidationError(f"{path} must be a str, not {type(value).__name__}")
            self._check_text(value, path)
        elif kind in ("int", "number"):
            ok = int if kind == "int" else (int, float)
            if isinstance(value, bool) or not isinstance(value, ok):
                what = "an int" if kind == "int" else "a number"
                raise ValidationError(f"{path} must be {what}, not {type(value).__name__}")
            if self.minimum is not None and value < self.minimum:
                raise ValidationError(f"{path} must be at least {self.minimum}, not {value}")
            if self.maximum is not None and value > self.maximum:
                raise ValidationError(f"{path} must be at most {self.maximum}, not {value}")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ValidationError(f"{path} must be a bool, not {type(value).__name__}")
        elif kind == "list":
            self._check_list(value, path)
        elif kind == "object":
            self._check_object(value, path)
        elif kind == "union":
            self._check_union(value, path)
        if self.enum is not None and value not in self.enum:
            allowed = ", ".join(sorted(repr(v) for v in self.enum))
            raise ValidationError(f"{path} must be one of {allowed}, not {value!r}")

    def _check_text(self, value: str, path: str) -> None:
        if self.min_length is not None and len(value) < self.min_length:
            raise ValidationError(f"{path} must be at least {self.min_length} characters long")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"{path} must be at most {self.max_length} characters long, not {len(value)}"
            )
        pattern = self.pattern
        if pattern is not None:
            if isinstance(pattern, str):
                pattern = self.pattern = re.compile(pattern)
            if pattern.search(value) is None:
                raise ValidationError(f"{path} must match {pattern.pattern!r}: {value[:60]!r}")

    def _check_date(self, value: Any, path: str) -> None:
        if is_date(value):
            return
        if not isinstance(value, str):
            raise ValidationError(
                f"{path} must be a date ('YYYY-MM-DD' or a datetime.date), "
                f"not {type(value).__name__}"
            )
        self._check_text(value, path)
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                f"{path} must be a real calendar date (YYYY-MM-DD), not {value!r}"
            ) from None

    def keys(self) -> dict[str, Rule]:
        """The keys a dict for this object rule may use: wire and snake_case names."""
        keys = self._keys
        if keys is None:
            keys = {f.name: f for f in self.fields} | {f.wire: f for f in self.fields}
            self._keys = keys
        return keys

    def _check_list(self, value: Any, path: str) -> None:
        if not isinstance(value, list | tuple):
            raise ValidationError(f"{path} must be a list, not {type(value).__name__}")
        if self.max_items is not None and len(value) > self.max_items:
            raise ValidationError(f"{path} takes at most {self.max_items} items, not {len(value)}")
        if self.min_items is not None and len(value) < self.min_items:
            n = self.min_items
            raise ValidationError(
                f"{path} takes at least {n} item{'s' if n != 1 else ''}, not {len(value)}"
            )
        if self.item is not None:
            for i, element in enumerate(value):
                self.item.check(element, f"{path}[{i}]")

    def _check_object(self, value: Any, path: str) -> None:
        if self.date_field is not None and is_date(value):
            return
        if isinstance(value, dict):
            if not self.fields:
                return  # a free-form object
            keys = self.keys()
            seen: dict[str, str] = {}
            for key in value:
                field = keys.get(key) if isinstance(key, str) else None
                if field is None:
                    allowed = ", ".join(repr(f.name) for f in self.fields)
                    raise ValidationError(f"{path} has no field {key!r}; it takes {allowed}")
                if field.name in seen:
                    raise ValidationError(
                        f"{path} gives {field.name!r} twice (as {seen[field.name]!r} and {key!r})"
                    )
                seen[field.name] = key
                field.check(value[key], f"{path}.{key}")
            for field in self.fields:
                if field.required and field.name not in seen:
                    raise ValidationError(f"{path} is missing {field.name!r}")
        elif attrs.has(type(value)):
            for field in self.fields:
                sub = getattr(value, field.name, UNSET)
                if sub is UNSET or (sub is None and not field.required):
                    if field.required:
                        raise ValidationError(f"{path}.{field.name} is required")
                    continue
                field.check(sub, f"{path}.{field.name}")
        else:
            what = "a model or a dict" if self.date_field is None else "a model, a dict or a date"
            raise ValidationError(f"{path} must be {what}, not {type(value).__name__}")

    def _check_union(self, value: Any, path: str) -> None:
        reasons = []
        for option in self.options:
            try:
                option.check(value, path)
            except ValidationError as exc:
                reasons.append(str(exc).removeprefix(path).strip())
            else:
                return
        raise ValidationError(f"{path} {', or '.join(reasons)}")


def is_date(value: Any) -> bool:
    """A ``datetime.date`` that is not a ``datetime.datetime`` (whose time would be lost)."""
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def check(where: str, rules: Sequence[Rule], values: Sequence[Any]) -> None:
    """Check each value against its rule; ``UNSET`` (not sent) passes unless required."""
    for rule, value in zip(rules, values, strict=True):
        if value is UNSET:
            if rule.required:
                raise ValidationError(f"{where}: {rule.name} is required")
            continue
        rule.check(value, f"{where}: {rule.name}")
