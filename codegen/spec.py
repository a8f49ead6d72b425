"""The generator's model of the spec: types, classes, parameters and operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .table import Entry

__all__ = ["Model", "Operation", "Param", "Prop", "Returns", "Type"]


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
