"""Every correction the generator makes to openapi-v1.json, in one place.

Each fix names the erratum it answers (see the project's ERRATA list). When a
new spec arrives, read this file top to bottom: it is the whole list of places
where we do not take the document at its word.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import SpecError

#: Raw request bodies the spec does not declare (erratum 5): operationId -> max size.
RAW_BODY: dict[str, int | None] = {
    "mediaUpload": None,
    "bundleImportZip": 50 * 1024 * 1024,
}

#: The Content-Type sent with a raw body when the caller gives none.
RAW_CONTENT_TYPE: dict[str, str] = {
    "mediaUpload": "application/octet-stream",
    "bundleImportZip": "application/zip",
}

#: Optional body properties for which None means "left out": what a getter returns
#: (``get_date().end`` is None for a single date) can be sent back as it is.
NONE_IS_UNSET: dict[str, tuple[str, ...]] = {"taskPutDate": ("end",)}

#: Binary successes the spec does not declare (erratum 6).
BINARY: frozenset[str] = frozenset({"mediaDownload", "mediaDownloadAll", "bundleExportZip"})

#: Query parameters the spec types ``number`` that are counts (erratum 7).
INTEGER_QUERY: frozenset[str] = frozenset({"limit", "page"})

#: "Fetch one" operations whose ``item`` the spec marks nullable: a 200 without the
#: thing asked for is a protocol error, not a ``None`` the caller must check.
ITEM_REQUIRED: frozenset[str] = frozenset({"projectGet", "taskGet", "mediaGet", "agentGet"})

#: "Fetch the X of a task" operations that answer ``None`` when nothing is set. The spec
#: marks taskNoteGet's item nullable but not taskGetDate's; a task without a date has
#: none to send, so both treat "nothing set" alike: a null item is ``None``.
ITEM_NULLABLE: frozenset[str] = frozenset({"taskGetDate", "taskNoteGet"})

#: Of those, the ones where Taskade answers a task with nothing set with 404 (a null
#: item is not in the spec's answer): the function returns None for a 404 too.
NOT_FOUND_IS_NONE: frozenset[str] = frozenset({"taskGetDate"})

#: The meant shape of one ``taskCreate`` item (erratum 4): the spec's ``allOf`` of a
#: required pair and an ``anyOf`` whose branches forbid each other's fields.
TASK_CREATE_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "contentType": {"type": "string", "enum": ["text/markdown", "text/plain"]},
        "content": {"type": "string", "maxLength": 2000},
        "placement": {
            "type": "string",
            "enum": ["beforebegin", "afterbegin", "beforeend", "afterend"],
        },
        # Absent or null: relative to the project root (then only afterbegin/beforeend).
        "taskId": {"type": "string", "nullable": True},
    },
    "required": ["contentType", "content", "placement"],
    "additionalProperties": False,
}
TASK_CREATE_MAX_ITEMS = 20

#: Models an argument may also give as a ``datetime.date``: model -> the field it fills.
DATE_MODELS: dict[str, str] = {"Date": "date"}


def _op(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in spec["paths"].values():
        for method, op in item.items():
            if method != "parameters" and op.get("operationId") == operation_id:
                return op  # type: ignore[no-any-return]
    raise SpecError(f"override target {operation_id!r} is not in the spec")


def _json_schema(op: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return op["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]
    except KeyError:
        raise SpecError(f"{where}: expected a JSON request body to correct") from None


def patch(spec: dict[str, Any]) -> dict[str, Any]:
    """A corrected copy of the spec; raises SpecError when a fix no longer applies."""
    spec = copy.deepcopy(spec)

    # Erratum 4: taskCreate's items, as meant; at most 20 per call.
    body = _json_schema(_op(spec, "taskCreate"), "taskCreate")
    tasks = body["properties"]["tasks"]
    if tasks.get("maxItems") != TASK_CREATE_MAX_ITEMS or "allOf" not in tasks.get("items", {}):
        raise SpecError("taskCreate: tasks[] changed shape; review TASK_CREATE_ITEM")
    tasks["items"] = copy.deepcopy(TASK_CREATE_ITEM)
    # An empty list creates nothing; the call is a mistake, refused before sending.
    tasks["minItems"] = 1

    # Erratum 3: ``nullable`` without ``type`` means "may also be null". The schema
    # reader treats ``nullable`` as "or null" on any schema, typed or not; the one
    # place left after the fix above must still be there, or this list is stale.
    prefs = _json_schema(_op(spec, "agentPublicUpdate"), "agentPublicUpdate")
    launcher = prefs["properties"]["preferences"]["properties"]["launcherIcon"]
    if launcher.get("nullable") is not True or "type" in launcher:
        raise SpecError("agentPublicUpdate: launcherIcon no longer untyped-nullable")

    for operation_id in ITEM_REQUIRED | ITEM_NULLABLE:
        _op(spec, operation_id)  # a name that left the spec is an error, not a silent no-op
    if ITEM_REQUIRED & ITEM_NULLABLE:
        raise SpecError(f"both required and nullable: {sorted(ITEM_REQUIRED & ITEM_NULLABLE)}")

    # Erratum 5 and 6: raw bodies and binary successes are handled by name.
    for operation_id in (*RAW_BODY, *BINARY):
        op = _op(spec, operation_id)
        if operation_id in RAW_BODY and "requestBody" in op:
            raise SpecError(f"{operation_id}: now declares a request body; review RAW_BODY")
        if operation_id in BINARY and "200" in op.get("responses", {}):
            raise SpecError(f"{operation_id}: now declares a 200; review BINARY")

    # Erratum 7: page and limit are counts.
    for item in spec["paths"].values():
        for method, op in item.items():
            if method == "parameters":
                continue
            for param in op.get("parameters", []):
                if param.get("in") == "query" and param["name"] in INTEGER_QUERY:
                    param["schema"]["type"] = "integer"

    # taskGetDate's end is what taskPutDate sets: a Date, typed like start (the spec's
    # second branch, an object with only ``period``, is nothing v1 can write).
    date_get = _op(spec, "taskGetDate")["responses"]["200"]["content"]["application/json"]
    end = date_get["schema"]["properties"]["item"]["properties"]["end"]
    branches = [b.get("$ref") or sorted(b.get("properties", {})) for b in end.get("anyOf", [])]
    if branches != ["#/components/schemas/Date", ["period"]]:
        raise SpecError("taskGetDate: item.end changed shape; review the Date override")
    end.clear()
    end.update({"$ref": "#/components/schemas/Date", "nullable": True})

    # Erratum 12: the Date schema's pattern wins over the taskGetDate example. The
    # generator never reads examples; validation follows the schema's pattern.
    date = spec["components"]["schemas"]["Date"]["properties"]["date"]
    if date.get("pattern") != r"^\d{4}-\d{2}-\d{2}$":
        raise SpecError("Date.date lost its YYYY-MM-DD pattern; review erratum 12")
    # The pattern lets 2026-13-45 through; the format asks for a real calendar date.
    date["format"] = "date"
    return spec


def resolve_ref(doc: dict[str, Any], root: dict[str, Any], ref: str) -> Any:
    """The schema a ``$ref`` points to (erratum 2).

    ``#/components/...`` is read from the document, including pointers deep
    inside a component; any other ``#/...`` is read from the root of the schema
    that contains it (a component, or a request/response body). A reference that
    resolves to nothing is an error, never a silent ``Any``.
    """
    if not ref.startswith("#/"):
        raise SpecError(f"unsupported $ref {ref!r} (only local references are handled)")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    node: Any = doc if parts[0] == "components" else root
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SpecError(f"$ref {ref!r} cannot be resolved (stopped at {part!r})")
    if not isinstance(node, dict):
        raise SpecError(f"$ref {ref!r} does not point to a schema")
    return node


# -- API v2 (openapi-v2-excerpt.json) ---------------------------------------------

#: v2 components that are v1's, read as v1's classes: the excerpt's ``Convo`` has
#: v1's fields, with ``data.llm`` opened from v1's union of objects to one object.
V2_SHARED_COMPONENTS: frozenset[str] = frozenset({"Convo"})

#: Fields that hold a credential: left out of the model's repr (class -> field names).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {"CreatedWebhook": ("secret",)}

#: URL arguments a server will call back: https unless loopback, at most 2,048
#: characters encoded (FACTS; the excerpt says only ``format: uri``).
TARGET_URLS: dict[str, tuple[str, ...]] = {"createWebhook": ("targetUrl",)}

#: Creations the server refuses with 409 when the thing exists (FACTS): operationId ->
#: (the body field naming it, the operation deleting it). Their function takes
#: ``replace=True`` to delete it and create again.
REPLACEABLE: dict[str, tuple[str, str]] = {"createWebhook": ("targetUrl", "deleteWebhook")}


def patch_v2(spec: dict[str, Any], v1: dict[str, Any]) -> dict[str, Any]:
    """A checked copy of the v2 excerpt; raises SpecError when a fix no longer applies."""
    spec = copy.deepcopy(spec)
    for name in V2_SHARED_COMPONENTS:
        mine = spec["components"]["schemas"].get(name)
        theirs = v1["components"]["schemas"].get(name)
        if mine is None or theirs is None:
            raise SpecError(f"{name}: no longer in both specs; review V2_SHARED_COMPONENTS")
        if _fields(mine) != _fields(theirs) or _fields(mine["properties"]["data"]) != _fields(
            theirs["properties"]["data"]
        ):
            raise SpecError(f"{name}: the v2 excerpt's fields differ from v1's; review")
    for operation_id, names in TARGET_URLS.items():
        props = _json_schema(_op(spec, operation_id), operation_id)["properties"]
        for name in names:
            if props.get(name, {}).get("format") != "uri":
                raise SpecError(f"{operation_id}.{name}: no longer a URI; review TARGET_URLS")
    return spec


def _fields(schema: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(schema.get("properties", {})), frozenset(schema.get("required", []))
