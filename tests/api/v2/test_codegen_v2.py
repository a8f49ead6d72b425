"""The generator's v2 side: both specs are needed, and a changed excerpt stops it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from codegen import overrides
from codegen.__main__ import main, render
from codegen.errors import SpecError
from tests.api.test_codegen import SPEC, SPEC_V2

needs_specs = pytest.mark.skipif(
    not (SPEC.is_file() and SPEC_V2.is_file()), reason="the official specs are not here"
)


@needs_specs
def test_a_missing_v2_excerpt_stops_the_generator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As for v1: an unreadable --spec-v2 exits 2 and writes nothing."""
    missing = tmp_path / "nope.json"
    assert main(["--spec", str(SPEC), "--spec-v2", str(missing), "--out", str(tmp_path)]) == 2
    assert "nope.json" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _v1() -> dict[str, Any]:
    return dict(json.loads(SPEC.read_bytes()))


def _v2() -> dict[str, Any]:
    return dict(json.loads(SPEC_V2.read_bytes()))


@needs_specs
def test_a_changed_shared_component_or_target_url_stops_the_generator() -> None:
    """v2's Convo must keep v1's fields, and targetUrl must stay a URI, or patch_v2 refuses."""
    v1, v2 = _v1(), _v2()
    assert overrides.patch_v2(v2, v1) == v2
    drifted = copy.deepcopy(v2)
    drifted["components"]["schemas"]["Convo"]["properties"]["colour"] = {"type": "string"}
    with pytest.raises(SpecError, match="Convo"):
        overrides.patch_v2(drifted, v1)
    plain = copy.deepcopy(v2)
    del plain["paths"]["/webhooks"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"
    ]["targetUrl"]["format"]
    with pytest.raises(SpecError, match="targetUrl"):
        overrides.patch_v2(plain, v1)


@needs_specs
def test_an_unknown_v2_operation_stops_the_generator() -> None:
    """An operation the v2 table does not name is an error, not a guess."""
    v2 = _v2()
    v2["paths"]["/webhooks"]["get"]["operationId"] = "webhooksList"
    with pytest.raises(SpecError, match="webhooksList"):
        render(SPEC.read_bytes(), json.dumps(v2).encode())


@needs_specs
def test_the_v2_operations_are_generated_with_what_they_do() -> None:
    """Generated v2 Operations name their root, retry safety and deadline; ids are positional."""
    files = render(SPEC.read_bytes(), SPEC_V2.read_bytes())
    agents = files["taskade_async/api/agents.py"]
    assert "api='v2', retry_safe=False, min_deadline=120.0" in agents
    assert "async def prompt(session: Session, space_id: str, agent_id: str, /, *" in agents
    hooks = files["taskade_async/api/webhooks.py"]
    assert "async def get(session: Session, webhook_id: str, /) -> Webhook:" in hooks
    assert "check_target_url(target_url" in hooks
    assert files["taskade_async/api/projects.py"].count("api=") == 0  # v1 unchanged
