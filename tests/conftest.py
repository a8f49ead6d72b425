"""Shared test configuration: the FakeTaskade fixtures are enabled for every test."""

import pytest

pytest_plugins = ("taskade_async.testing.pytest_plugin",)

#: Proxy settings a shell may hold: the tests talk to loopback servers directly.
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions honour HTTP(S)_PROXY (trust_env): a shell's proxy must not reroute tests."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
