"""A session's settings, checked and resolved before anything is sent."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Final, NoReturn

import aiohttp
from yarl import URL

from ._auth import Auth, BearerToken
from ._errors import AuthenticationError, ValidationError
from ._targets import check_base_url
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_DOWNLOAD_MIN_RATE", "DEFAULT_MAX_RESPONSE_BYTES"]

DEFAULT_BASE_URL: Final = URL("https://www.taskade.com/api/v1")
#: The default cap on a JSON answer: far above the largest real page (1000 tasks).
DEFAULT_MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024
#: The least a download's body must average past the call's deadline (bytes per second).
DEFAULT_DOWNLOAD_MIN_RATE: Final = 32 * 1024


def resolve_auth(token: str | None, auth: Auth | None) -> Auth:
    """The credentials: ``auth``, else ``token``, else ``TASKADE_TOKEN``."""
    if token is not None and auth is not None:
        raise ValidationError("pass token or auth, not both")
    if auth is None:
        token = token if token is not None else os.environ.get("TASKADE_TOKEN")
        if not token:
            raise AuthenticationError("no credentials: pass token= or auth=, or set TASKADE_TOKEN")
        auth = BearerToken(token)
    token_url = getattr(auth, "token_url", None)
    if isinstance(token_url, URL):
        # The refresh token goes there: https unless loopback, as for the API.
        check_base_url(token_url, "token_url")
    return auth


def check_limits(deadline: float, max_connections: int, max_response_bytes: int) -> None:
    """Raise ValidationError for a non-positive deadline, pool size or response cap."""
    if deadline <= 0:
        raise ValidationError("deadline must be positive")
    if isinstance(max_connections, bool) or not isinstance(max_connections, int):
        raise ValidationError("max_connections must be an int")
    if max_connections < 1:
        raise ValidationError("max_connections must be at least 1")
    if (
        isinstance(max_response_bytes, bool)
        or not isinstance(max_response_bytes, int)
        or max_response_bytes < 1
    ):
        raise ValidationError("max_response_bytes must be a positive int")


def resolve_roots(
    base_url: URL | str | None, v2_base_url: URL | str | None
) -> tuple[URL, str | None]:
    """The v1 base URL (else ``TASKADE_BASE_URL``, else Taskade's), and the v2 root.

    The v2 root is ``v2_base_url``, or the sibling of a base URL ending in
    ``/v1``, or None when neither can be had.
    """
    if base_url is None:
        base_url = os.environ.get("TASKADE_BASE_URL") or DEFAULT_BASE_URL
    base = check_base_url(base_url)
    if v2_base_url is not None:
        return base, str(check_base_url(v2_base_url, "v2_base_url"))
    if not base.path.endswith("/v1"):
        return base, None
    return base, str(base.with_path(base.path[: -len("/v1")] + "/v2"))


def split_root(root: str) -> tuple[str, str, str]:
    """A root (a checked base URL, as text) as its scheme, authority and path prefix.

    The request path builds each URL from these parts (``URL.build``) instead
    of parsing the joined text again on every request.
    """
    url = URL(root, encoded=True)
    head = f"{url.scheme}://{url.raw_authority}"
    if not root.startswith(head):  # pragma: no cover - a checked root always does
        raise ValidationError(f"base URL {root} cannot be split into its parts")
    return url.scheme, url.raw_authority, root[len(head) :]


def timeouts(
    connect: float, read: float
) -> tuple[aiohttp.ClientTimeout, aiohttp.ClientTimeout, aiohttp.ClientTimeout]:
    """aiohttp's limits for a JSON call, a streamed download, and the token endpoint.

    JSON calls: the call's deadline bounds everything after connecting, so no
    per-read timer is armed (it costs CPU on every chunk). A streamed body is
    read after the call returned: there, ``read`` seconds of silence fail it.
    The token endpoint gets both: the shared refresh runs on even if its
    callers give up.
    """
    return (
        aiohttp.ClientTimeout(total=None, sock_connect=connect),
        aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read),
        aiohttp.ClientTimeout(total=connect + read, sock_connect=connect),
    )


def headers(user_agent: str | None) -> dict[str, str]:
    """The headers of every request; the User-Agent is ``user_agent``, or ours.

    Ours: ``taskade-async/<version> aiohttp/<version> python/<version>``.
    """
    python = "{}.{}.{}".format(*sys.version_info[:3])
    ua = user_agent or f"taskade-async/{__version__} aiohttp/{aiohttp.__version__} python/{python}"
    return {"User-Agent": ua, "Accept": "application/json"}


def no_v2_root(base: str) -> NoReturn:
    """Raise the ValidationError of a v2 call on a session with no v2 root."""
    raise ValidationError(
        f"no v2 root can be derived from base_url {base} (it does not end in /v1): "
        "pass v2_base_url="
    )


def trace_configs(
    configs: Sequence[aiohttp.TraceConfig] | None, http: aiohttp.ClientSession | None
) -> list[aiohttp.TraceConfig] | None:
    """The trace configs for the ClientSession we create, checked (ValidationError)."""
    if configs is None:
        return None
    if http is not None:
        raise ValidationError("trace_configs applies to a session we create: give them to http")
    if isinstance(configs, aiohttp.TraceConfig) or not all(
        isinstance(c, aiohttp.TraceConfig) for c in configs
    ):
        raise ValidationError("trace_configs must be a sequence of aiohttp.TraceConfig")
    return list(configs) or None
