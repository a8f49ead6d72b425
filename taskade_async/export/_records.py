"""Exported records: what one line of an export file holds, and how it is encoded."""

from __future__ import annotations

import functools
import json
import json.encoder
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import attrs

from taskade_async._errors import APIError, TaskadeError

__all__ = [
    "RECORD_TYPES",
    "Emit",
    "ItemError",
    "OnError",
    "Parents",
    "Record",
    "encode_line",
    "encode_lines",
    "item_id",
]

#: Every record type, in the order the export files are listed; each is written
#: to ``<type>.jsonl``.
RECORD_TYPES: Final = (
    "workspaces",
    "folders",
    "projects",
    "fields",
    "members",
    "blocks",
    "tasks",
    "task_notes",
    "task_dates",
    "task_assignees",
    "task_field_values",
    "agents",
    "medias",
    "media_files",
)
#: The parent ids a record can carry, in the order they are written (outermost first).
PARENT_KEYS: Final = ("workspaceId", "folderId", "projectId", "taskId", "mediaId")
#: Types that exist only with ``details``.
DETAIL_TYPES: Final = frozenset({"task_notes", "task_dates", "task_assignees", "task_field_values"})
#: Types that exist only with ``media``.
MEDIA_TYPES: Final = frozenset({"media_files"})


@attrs.frozen(slots=True)
class Record:
    """One exported object: its type, the ids of its parents, and the server's JSON.

    ``parents`` maps ``workspaceId``/``folderId``/``projectId``/``taskId`` (those
    that apply, outermost first) to ids; a project that is in no folder the
    token can list has ``None`` for both. ``data`` is the JSON object exactly as
    the server sent it (for ``media_files``: where the file was saved).
    """

    type: str
    parents: Mapping[str, str | None]
    data: Any


@attrs.frozen(slots=True)
class ItemError:
    """Something that could not be exported; the export went on without it."""

    #: What failed: ``project``, ``tasks``, ``task_notes``, ``media_file``, ...
    what: str
    #: The id of the object it concerns (a project id, a task id, a folder id).
    id: str | None
    parents: Mapping[str, str | None]
    operation: str
    message: str
    status: int | None = None
    code: str | None = None
    #: Where a list stopped (cursor or page number), when it failed part-way.
    resume_from: str | int | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON object for ``manifest.json``."""
        return {
            "what": self.what,
            "id": self.id,
            "parents": dict(self.parents),
            "operation": self.operation,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "resumeFrom": self.resume_from,
        }

    @classmethod
    def from_exception(
        cls, what: str, id: str | None, parents: Parents, operation: str, exc: TaskadeError
    ) -> ItemError:
        """The error for ``exc`` (an API error keeps its status and code)."""
        status = code = None
        message = str(exc)
        if isinstance(exc, APIError):
            status, code = exc.status, exc.code
            message = exc.message or message
        return cls(
            what=what,
            id=id,
            parents=dict(parents),
            operation=operation,
            message=message,
            status=status,
            code=code,
            resume_from=exc.resume_from,
        )

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ItemError:
        """The error written by :meth:`as_json`."""
        return cls(
            what=raw["what"],
            id=raw.get("id"),
            parents=dict(raw.get("parents") or {}),
            operation=raw["operation"],
            message=raw["message"],
            status=raw.get("status"),
            code=raw.get("code"),
            resume_from=raw.get("resumeFrom"),
        )


Parents = Mapping[str, str | None]
#: Receives records in batches (a page, or one object); order within a batch is kept.
Emit = Callable[[list[Record]], Awaitable[None]]
#: Receives the items that could not be exported.
OnError = Callable[[ItemError], None]


def item_id(raw: Any) -> str | None:
    """The usable ``id`` of a listed object, or None (not an object, no id, a dot id)."""
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, str) and value not in ("", ".", ".."):
            return value
    return None


def encode_line(record: Record) -> bytes:
    """One JSON Lines line: the parent ids (in PARENT_KEYS order), then ``"data"``.

    UTF-8, compact separators, ends with a newline; the same record always
    gives the same bytes.
    """
    parents = record.parents
    values = tuple(parents.get(key, _ABSENT) for key in PARENT_KEYS)
    if len(parents) != len(values) - values.count(_ABSENT):
        raise ValueError(f"unknown parent keys in {sorted(parents)}")
    text = _prefix(values, False) + _encode(record.data) + "}\n"
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (legal in JSON, not in UTF-8): keep it as a \\u escape.
        return (_prefix(values, True) + _ASCII_ENCODER.encode(record.data) + "}\n").encode()


def encode_lines(records: list[Record]) -> bytes:
    """The staged form of ``records``: for each, its type, a tab, and :func:`encode_line`.

    Records that share one ``parents`` mapping (a page) reuse its encoded prefix,
    and the batch is encoded to UTF-8 at once.
    """
    out: list[str] = []
    append = out.append
    parents: Any = None
    kind = prefix = head = ""
    for record in records:
        if record.parents is not parents:
            parents = record.parents
            values = tuple(parents.get(key, _ABSENT) for key in PARENT_KEYS)
            if len(parents) != len(values) - values.count(_ABSENT):
                raise ValueError(f"unknown parent keys in {sorted(parents)}")
            prefix = _prefix(values, False)
            kind = record.type
            head = kind + "\t" + prefix
        elif record.type != kind:
            kind = record.type
            head = kind + "\t" + prefix
        append(head)
        append(_encode(record.data))
        append("}\n")
    try:
        return "".join(out).encode()
    except UnicodeEncodeError:
        # A lone surrogate somewhere: encode line by line, escaping where needed.
        return b"".join(record.type.encode() + b"\t" + encode_line(record) for record in records)


_ABSENT: Final = object()
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ASCII_ENCODER: Final = json.JSONEncoder(separators=(",", ":"))


def _fast_encoder(template: json.JSONEncoder) -> Callable[[Any], str]:
    """``template.encode`` without its per-call set-up (the C encoder, built once).

    Same output: the same C code ``JSONEncoder.encode`` runs, with the
    circular-reference check off (records come from ``json.loads``: no cycles).
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (e.g. PyPy): the plain encoder
        return template.encode
    c_encode = make(
        None,  # no circular-reference markers
        template.default,
        json.encoder.encode_basestring_ascii
        if template.ensure_ascii
        else json.encoder.encode_basestring,
        None,  # no indent
        template.key_separator,
        template.item_separator,
        template.sort_keys,
        template.skipkeys,
        template.allow_nan,
    )
    join = "".join

    def encode(value: Any) -> str:
        return join(c_encode(value, 0))

    return encode


_encode: Final = _fast_encoder(_ENCODER)


@functools.lru_cache(maxsize=256)
def _prefix(values: tuple[Any, ...], ascii: bool) -> str:
    """``{"workspaceId":...,"data":`` for these parent ids (few distinct ones per unit)."""
    obj = {
        key: value for key, value in zip(PARENT_KEYS, values, strict=True) if value is not _ABSENT
    }
    encoder = _ASCII_ENCODER if ascii else _ENCODER
    return encoder.encode(obj)[:-1] + ("," if obj else "") + '"data":'
