"""Check the JSON bodies a fake served against the official spec's response schemas."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)

from taskade_async.testing import RecordedRequest
from taskade_async.testing._handlers_v2 import V2_ROUTES

from . import _spec

_V2_IDS = frozenset(route.operation_id for route in V2_ROUTES)


@functools.cache
def _validators() -> dict[tuple[str, str], Any] | None:
    loader = _spec.load()
    if loader is None:
        return None
    schemas = loader.response_schemas()
    v2 = _spec.load_v2()
    if v2 is not None:
        # The excerpt declares no error responses: v2 errors have v1's documented shape.
        error = v2.inline({"$ref": "#/components/schemas/Error"})
        for operation_id, *_ in v2.operations():
            schemas[(operation_id, "4XX")] = error
        schemas.update(v2.response_schemas())
    return {key: jsonschema.Draft7Validator(schema) for key, schema in schemas.items()}


#: Bodies the fake serves on purpose although the spec's schema refuses them: none
#: (a task without a date answers 404, not the null item the spec does not allow).
_DEVIATIONS: list[tuple[str, str, Any]] = []


def spec_available() -> bool:
    """True if the spec file is present (so bodies can be checked; v2 too if its excerpt is)."""
    return _validators() is not None


def problems(records: Iterable[RecordedRequest]) -> tuple[list[str], int]:
    """Messages for every 2xx/4xx API JSON body that breaks its schema; and how many were checked.

    Requests the fake did not route (OAuth endpoints, unknown paths) and
    statuses the spec does not declare (5xx, injected faults) are left out.
    """
    validators = _validators()
    assert validators is not None, "the spec is not available"
    found: list[str] = []
    checked = 0
    for record in records:
        if record.operation_id is None or record.response is None or record.status is None:
            continue
        if 200 <= record.status < 300:
            key = "200"
        elif 400 <= record.status < 500:
            key = "4XX"
        else:
            continue
        body = json.loads(record.response)
        if (record.operation_id, key, body) in _DEVIATIONS:
            checked += 1
            continue
        validator = validators.get((record.operation_id, key))
        if validator is None and record.operation_id in _V2_IDS and _spec.load_v2() is None:
            continue  # a v2 body, and the excerpt is not on this machine
        if validator is None:
            found.append(f"{record.operation_id} {record.status}: the spec declares no JSON body")
            continue
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        checked += 1
        if error is not None:
            found.append(
                f"{record.operation_id} {record.status}: {error.message} at {error.json_path}"
            )
    return found, checked
