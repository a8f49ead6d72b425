"""tk.trigger_automation goes through the session's request loop: its counters, not its pace."""

from __future__ import annotations

import logging

import pytest

import taskade_async as tk
from taskade_async.testing import FakeTaskade


async def test_a_trigger_is_counted_like_an_api_call(taskade_fake: FakeTaskade) -> None:
    """Each trigger is one request in ``stats``, and a 429 from it counts as rate limited."""
    url = taskade_fake.add_automation()
    retry = tk.RetryPolicy(base_backoff=0.0)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, retry=retry) as s:
        await tk.trigger_automation(s, url, {"a": "1"})
        assert s.stats.requests == 1
        taskade_fake.fail_next(429, path="/webhooks/*", retry_after=0)
        with pytest.raises(tk.RateLimitError):
            await tk.trigger_automation(s, url, {"a": "2"})
        assert (s.stats.requests, s.stats.rate_limited, s.stats.retries) == (2, 1, 0)
    assert taskade_fake.automation_runs(url) == [{"a": "1"}]


async def test_the_loop_logs_only_the_redacted_url(
    taskade_fake: FakeTaskade, caplog: pytest.LogCaptureFixture
) -> None:
    """The loop's per-attempt DEBUG line names the redacted URL, never the webhook id."""
    caplog.set_level(logging.DEBUG, logger="taskade_async")
    url = taskade_fake.add_automation()
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url) as s:
        await tk.trigger_automation(s, url, {"a": "1"})
    secret = url.rsplit("/", 1)[1]
    assert "(attempt 1," in caplog.text
    assert secret not in caplog.text
    assert "…" + secret[-4:] in caplog.text


def test_the_outside_target_s_repr_hides_the_secret() -> None:
    """What the loop carries for an outside URL shows the redacted form only."""
    from yarl import URL

    from taskade_async._session import Outside

    outside = Outside(URL("https://www.taskade.com/webhooks/flow/…abcd", encoded=True), "s3cr3t")
    assert "s3cr3t" not in repr(outside)


async def test_an_automations_429_does_not_pace_the_api_calls(taskade_fake: FakeTaskade) -> None:
    """A 429 from an automation's webhook (another budget) neither slows nor holds the session."""
    url = taskade_fake.add_automation()
    retry = tk.RetryPolicy(base_backoff=0.0)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, retry=retry) as s:
        taskade_fake.fail_next(429, path="/webhooks/*", retry_after=30)
        with pytest.raises(tk.RateLimitError):
            await tk.trigger_automation(s, url, {"a": "1"})
        assert s.throttle.rate is None
        assert s.throttle.paused_until == 0.0


async def test_an_automations_429_says_nothing_of_slowing_down(
    taskade_fake: FakeTaskade, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 from an automation logs no "slowing down" WARNING: the API's pace did not change."""
    caplog.set_level(logging.WARNING, logger="taskade_async")
    url = taskade_fake.add_automation()
    retry = tk.RetryPolicy(base_backoff=0.0)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, retry=retry) as s:
        taskade_fake.fail_next(429, path="/webhooks/*", retry_after=0)
        with pytest.raises(tk.RateLimitError):
            await tk.trigger_automation(s, url, {"a": "1"})
    assert "slowing down" not in caplog.text
    assert "holding" not in caplog.text
