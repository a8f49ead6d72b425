"""Seeded random faults, for soak tests (the lost answers one by one: test_faults.py)."""

from __future__ import annotations

import pytest

from taskade_async.testing import FakeTaskade, RandomFaults

from .conftest import Api


async def test_random_faults_are_dealt_at_their_rates(api: Api, taskade_fake: FakeTaskade) -> None:
    """Each request draws a fault at the given rates; the counts are kept by kind."""
    taskade_fake.add_workspace("Acme")
    chance = taskade_fake.random_faults(seed=7, unavailable=0.3, rate_limited=0.2, retry_after=2)
    statuses = [(await api.call("GET", "/workspaces")).status for _ in range(200)]
    assert statuses.count(503) == chance.drawn["status 503"]
    assert statuses.count(429) == chance.drawn["status 429"]
    assert statuses.count(200) == 200 - sum(chance.drawn.values())
    assert 30 <= statuses.count(503) <= 90
    assert 15 <= statuses.count(429) <= 65
    taskade_fake.clear_faults()
    assert (await api.call("GET", "/workspaces")).status == 200


def test_random_faults_are_seeded() -> None:
    """The same seed deals the same faults in the same order."""
    first = RandomFaults(seed=3, unavailable=0.5)
    second = RandomFaults(seed=3, unavailable=0.5)
    draws = [first.draw("GET", "/api/v1/x") is None for _ in range(50)]
    assert draws == [second.draw("GET", "/api/v1/x") is None for _ in range(50)]
    assert any(draws)
    assert not all(draws)


async def test_random_faults_match_method_and_path(api: Api, taskade_fake: FakeTaskade) -> None:
    """Random faults apply only to requests matching their method and path globs."""
    taskade_fake.add_workspace("Acme")
    taskade_fake.random_faults(unavailable=1.0, method="POST")
    assert (await api.call("GET", "/workspaces")).status == 200
    assert (await api.call("POST", "/projects", json={})).status == 503


@pytest.mark.parametrize("rates", [{"slow": 1.5}, {"unavailable": 0.6, "reset_after": 0.6}])
def test_impossible_rates_are_refused(rates: dict[str, float]) -> None:
    """A rate outside 0..1, or rates adding up past 1, are refused."""
    with pytest.raises(ValueError, match="rates"):
        RandomFaults(**rates)  # type: ignore[arg-type]
