"""The client benchmark measures raw aiohttp and ours even when another client cannot run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_client_that_cannot_be_generated_is_reported_and_the_rest_measured(
    tmp_path: Path,
) -> None:
    """A spec openapi-python-client cannot use: the bench says so, records W1 and W3, exits 0."""
    bad = tmp_path / "bad-spec.json"
    bad.write_text('{"openapi": "3.0.0"}', encoding="utf-8")
    results = tmp_path / "results.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TASKADE_OPENAPI": str(bad),
        "TASKADE_BENCH_RESULTS": str(results),
    }
    args = ["--rounds", "1", "--gets", "20", "--tasks", "1000"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_client.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "openapi-python-client (generated): not measured" in done.stdout
    assert "httpx (hand-written)" in done.stdout  # measured, or said why not
    figures = json.loads(results.read_text(encoding="utf-8"))["figures"]
    assert {"W1", "W3", "W3j"} <= set(figures)
    assert figures["W1"]["ours"] > 0
    assert figures["W1"]["raw"] > 0
    assert "openapi-python-client (generated)" not in figures["W1"]["others"]
