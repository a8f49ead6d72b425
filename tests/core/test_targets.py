"""The one https-unless-loopback rule, shared by base, webhook target and automation URLs."""

from __future__ import annotations

import pytest
from yarl import URL

import taskade_async as tk
from taskade_async._targets import (
    check_base_url,
    check_target_url,
    https_problem,
    https_url,
    is_loopback,
)
from taskade_async._trigger import _check_url


@pytest.mark.parametrize("host", ["localhost", "a.localhost", "127.0.0.1", "127.9.9.9", "[::1]"])
def test_loopback_hosts_are_recognised(host: str) -> None:
    """Names and addresses of this machine count as loopback."""
    assert is_loopback(host)


@pytest.mark.parametrize("host", [None, "", "example.com", "10.0.0.1", "localhost.example.com"])
def test_other_hosts_are_not_loopback(host: str | None) -> None:
    """Any other host, or none, is not loopback."""
    assert not is_loopback(host)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/x", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://localhost/x", True),
        ("http://example.com/x", False),
        ("ftp://example.com/x", False),
        ("/relative", False),
    ],
)
def test_https_unless_loopback(url: str, ok: bool) -> None:
    """https anywhere, plain http only on loopback, nothing else."""
    assert (https_problem(URL(url)) is None) is ok


def test_https_url_names_the_value_only_when_asked() -> None:
    """The error shows the ``shown`` form, and no form at all without it."""
    with pytest.raises(tk.ValidationError, match=r"^x must use https .*: <hidden>$"):
        https_url("http://example.com/secret", "x", "<hidden>")
    with pytest.raises(tk.ValidationError) as info:
        https_url("http://example.com/secret", "x")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    ["http://example.com/api", "ftp://example.com/api", "http://example.com/hook/abcdefgh1234"],
)
def test_every_kind_of_url_applies_the_same_rule(url: str) -> None:
    """Base, webhook target and automation URLs are all refused by the one rule."""
    for check in (
        lambda: check_base_url(url),
        lambda: check_target_url(url, "target_url"),
        lambda: _check_url(url),
    ):
        with pytest.raises(tk.ValidationError, match="must"):
            check()


def test_loopback_http_passes_every_check() -> None:
    """Plain http on loopback passes the base, target and automation checks."""
    url = "http://127.0.0.1:9/webhooks/flow/abcdefgh1234"
    assert check_base_url(url).host == "127.0.0.1"
    check_target_url(url, "target_url")
    assert _check_url(url).scheme == "http"
