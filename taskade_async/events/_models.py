"""The six events Taskade delivers, as attrs classes, and :func:`parse`.

Payloads are flat JSON objects with no field naming the event, so the type
is inferred from the keys (see :func:`parse`).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Final

import attrs

from taskade_async._errors import ProtocolError

__all__ = [
    "CommentCreated",
    "Event",
    "PayloadError",
    "ProjectAssigned",
    "ProjectCreated",
    "ProjectJoined",
    "TaskAssigned",
    "TaskDue",
    "TaskNode",
    "UnknownEvent",
    "parse",
]


class PayloadError(ProtocolError, ValueError):
    """A delivery's body is not a JSON object."""


def _str() -> Any:
    return attrs.field(default=None, metadata={"kind": "str"})


def _bool() -> Any:
    return attrs.field(default=None, metadata={"kind": "bool"})


def _strs() -> Any:
    return attrs.field(default=(), metadata={"kind": "strs"})


@attrs.frozen(kw_only=True)
class Event:
    """A delivery's payload. ``extra`` holds the keys this version does not know.

    Every field may be None (absent or null in the payload); list fields are
    tuples, empty when absent or null. A known key whose value has another
    type than documented is kept in ``extra`` (and its field is None).
    ``raw`` is the whole payload as received.
    """

    #: The event's name, e.g. ``"task.assigned"``.
    name: ClassVar[str] = ""
    #: Keys only this event (or a more specific one) has: one of them makes it a candidate.
    markers: ClassVar[frozenset[str]] = frozenset()

    extra: dict[str, Any] = attrs.field(factory=dict, metadata={"kind": "extra"})
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False, metadata={"kind": "raw"})


@attrs.frozen(kw_only=True)
class TaskNode:
    """One task of a ``task.assigned`` delivery."""

    node_id: str | None = _str()
    node_text: str | None = _str()
    is_completed: bool | None = _bool()
    assignees: tuple[str, ...] = _strs()
    extra: dict[str, Any] = attrs.field(factory=dict, metadata={"kind": "extra"})


@attrs.frozen(kw_only=True)
class TaskDue(Event):
    """``task.due``: a task reached its date (``id`` and ``text`` are the task's)."""

    name: ClassVar[str] = "task.due"
    markers: ClassVar[frozenset[str]] = frozenset(
        {"taskStartDate", "taskStartTime", "taskStartTimezone", "taskEndDate", "taskEndTime"}
        | {"taskEndTimezone"}
    )

    space_id: str | None = _str()
    space_name: str | None = _str()
    project_id: str | None = _str()
    project_name: str | None = _str()
    id: str | None = _str()
    text: str | None = _str()
    is_completed: bool | None = _bool()
    assignees: tuple[str, ...] = _strs()
    task_start_date: str | None = _str()
    task_start_time: str | None = _str()
    task_start_timezone: str | None = _str()
    task_end_date: str | None = _str()
    task_end_time: str | None = _str()
    task_end_timezone: str | None = _str()


@attrs.frozen(kw_only=True)
class TaskAssigned(Event):
    """``task.assigned``: ``assigner_name`` assigned the tasks in ``nodes``."""

    name: ClassVar[str] = "task.assigned"
    markers: ClassVar[frozenset[str]] = frozenset({"nodes"})

    project_id: str | None = _str()
    project_name: str | None = _str()
    assigner_name: str | None = _str()
    nodes: tuple[TaskNode, ...] = attrs.field(default=(), metadata={"kind": "nodes"})


@attrs.frozen(kw_only=True)
class CommentCreated(Event):
    """``comment.created``: a comment on the task ``node_id``."""

    name: ClassVar[str] = "comment.created"
    markers: ClassVar[frozenset[str]] = frozenset(
        {"commenterDisplayName", "commenterHandle", "commentBody", "commentBodyType"}
        | {"mentionedHandles", "nodeId", "nodeText"}
    )

    project_id: str | None = _str()
    project_name: str | None = _str()
    node_id: str | None = _str()
    node_text: str | None = _str()
    commenter_display_name: str | None = _str()
    commenter_handle: str | None = _str()
    comment_body: str | None = _str()
    comment_body_type: str | None = _str()
    assignees: tuple[str, ...] = _strs()
    mentioned_handles: tuple[str, ...] = _strs()


@attrs.frozen(kw_only=True)
class _ProjectEvent(Event):
    """The fields project.created and project.assigned share."""

    space_id: str | None = _str()
    space_name: str | None = _str()
    project_id: str | None = _str()
    project_name: str | None = _str()
    creator_name: str | None = _str()


@attrs.frozen(kw_only=True)
class ProjectCreated(_ProjectEvent):
    """``project.created``: ``creator_name`` created a project in a space."""

    name: ClassVar[str] = "project.created"
    markers: ClassVar[frozenset[str]] = frozenset({"creatorName"})


@attrs.frozen(kw_only=True)
class ProjectAssigned(_ProjectEvent):
    """``project.assigned``: project.created's fields plus who assigned it to whom."""

    name: ClassVar[str] = "project.assigned"
    markers: ClassVar[frozenset[str]] = frozenset({"assigneeName", "assigneeId"})

    assigner_name: str | None = _str()
    assignee_name: str | None = _str()
    assignee_id: str | None = _str()


@attrs.frozen(kw_only=True)
class ProjectJoined(Event):
    """``project.joined``: ``joiner_name`` joined a project."""

    name: ClassVar[str] = "project.joined"
    markers: ClassVar[frozenset[str]] = frozenset({"joinerName", "joinerUserId"})

    space_id: str | None = _str()
    project_id: str | None = _str()
    project_name: str | None = _str()
    joiner_name: str | None = _str()
    joiner_user_id: str | None = _str()


@attrs.frozen(kw_only=True)
class UnknownEvent(Event):
    """A payload no known event matches: everything is in ``raw`` (and ``extra``)."""

    name: ClassVar[str] = "unknown"


EVENTS: Final[tuple[type[Event], ...]] = (
    TaskDue,
    TaskAssigned,
    CommentCreated,
    ProjectCreated,
    ProjectAssigned,
    ProjectJoined,
)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _wire(cls: type[Any]) -> dict[str, tuple[str, str]]:
    """Wire key -> (attribute, kind) for the payload fields of ``cls``."""
    return {
        _camel(f.name): (f.name, f.metadata["kind"])
        for f in attrs.fields(cls)
        if f.metadata["kind"] not in ("extra", "raw")
    }


_WIRE: Final = {cls: _wire(cls) for cls in (*EVENTS, TaskNode)}
#: Every documented key of each event, for picking the most specific match.
_KEYS: Final = {cls: frozenset(_WIRE[cls]) for cls in EVENTS}


def _value(kind: str, value: Any) -> tuple[bool, Any]:
    """(whether ``value`` fits ``kind``, the field's value)."""
    if value is None:
        return True, () if kind in ("strs", "nodes") else None
    if kind == "str":
        # Ids may come as numbers: the same id, as text.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return True, str(value)
        return isinstance(value, str), value
    if kind == "bool":
        return isinstance(value, bool), value
    if not isinstance(value, list):
        return False, None
    if kind == "strs":
        return all(isinstance(v, str) for v in value), tuple(value)
    if not all(isinstance(v, dict) for v in value):  # nodes
        return False, None
    return True, tuple(_build(TaskNode, v) for v in value)


def _build(cls: type[Any], data: dict[str, Any]) -> Any:
    wire = _WIRE[cls]
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        spec = wire.get(key)
        if spec is None:
            extra[key] = value
            continue
        fits, converted = _value(spec[1], value)
        if fits:
            fields[spec[0]] = converted
        else:
            extra[key] = value
    if cls is TaskNode:
        return TaskNode(extra=extra, **fields)
    return cls(extra=extra, raw=data, **fields)


def infer(data: dict[str, Any]) -> type[Event]:
    """The event class of a payload (see :func:`parse` for the rule)."""
    best: type[Event] = UnknownEvent
    best_score = 0
    tie = False
    for cls in EVENTS:
        if cls.markers.isdisjoint(data):
            continue
        score = len(_KEYS[cls].intersection(data))
        if score > best_score:
            best, best_score, tie = cls, score, False
        elif score == best_score:
            tie = True
    return UnknownEvent if tie else best


def load(body: bytes | bytearray | str | dict[str, Any]) -> dict[str, Any]:
    """The JSON object of a delivery's body (raises PayloadError for anything else)."""
    if isinstance(body, dict):
        data: Any = body
    else:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise PayloadError(f"the body is not JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"the body must be a JSON object, not a JSON {type(data).__name__}")
    return data


def parse(body: bytes | bytearray | str | dict[str, Any]) -> Event:
    """The typed event of a delivery's body (raw bytes, text, or the decoded dict).

    The event is inferred from the keys, as payloads do not name it. Each
    event has *marker* keys that only it (or a more specific event) has:
    ``nodes`` (task.assigned); ``assigneeId``/``assigneeName``
    (project.assigned); ``creatorName`` (project.created, also in
    project.assigned); ``joinerName``/``joinerUserId`` (project.joined);
    ``commentBody``, ``commenterHandle``, ``nodeId``, ... (comment.created);
    ``taskStartDate``, ``taskEndDate``, ... (task.due). Among the events with a
    marker present, the one with the most of its documented keys present
    wins, so project.assigned beats project.created. No marker, or a tie
    between two events, gives an :class:`UnknownEvent`. Raises
    :class:`PayloadError` (a ValueError) if the body is not a JSON object.
    """
    data = load(body)
    cls: type[Any] = infer(data)
    if cls is UnknownEvent:
        return UnknownEvent(extra=dict(data), raw=data)
    event: Event = _build(cls, data)
    return event
