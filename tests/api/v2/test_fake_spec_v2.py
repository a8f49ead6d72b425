"""The fake's v2 routes and body rules agree with the v2 excerpt."""

from __future__ import annotations

import pytest

from taskade_async.testing._call import HANDLERS
from taskade_async.testing._handlers_v2 import V2_BODIES, V2_ROUTES
from tests.fake import _spec
from tests.fake.test_conformance import _differences

_LOADER = _spec.load_v2()
needs_excerpt = pytest.mark.skipif(
    _LOADER is None, reason=f"v2 excerpt not found at {_spec.spec_v2_path()}"
)


@needs_excerpt
def test_v2_routes_and_bodies_match_the_excerpt() -> None:
    """The fake serves exactly the excerpt's six operations, with its body rules."""
    assert _LOADER is not None
    ops = {op_id: (method, path, op) for op_id, method, path, op in _LOADER.operations()}
    assert {(r.operation_id, r.method, r.path) for r in V2_ROUTES} == {
        (op_id, method, path) for op_id, (method, path, _) in ops.items()
    }
    with_json = {op_id for op_id, (_, _, op) in ops.items() if "requestBody" in op}
    assert {r.operation_id for r in V2_ROUTES if r.body == "json"} == with_json == set(V2_BODIES)
    found = []
    for op_id, mine in V2_BODIES.items():
        spec = ops[op_id][2]["requestBody"]["content"]["application/json"]["schema"]
        found += _differences(dict(mine), _LOADER.inline(spec), op_id)
    # (The excerpt marks promptAgent's body nullable; the loader's "or null" is set aside.)
    assert found == []
    assert all(r.operation_id in HANDLERS for r in V2_ROUTES)
