"""The environment's proxies (``HTTP(S)_PROXY``, ``NO_PROXY``), read once per session.

aiohttp's own ``trust_env`` reads the environment again for every request,
in a worker thread (over 100 us of CPU per call here); a session reads it
when it opens and keeps the answer per scheme and host.
"""

from __future__ import annotations

from typing import Final

from yarl import URL

__all__ = ["NO_PROXY", "Proxies"]

#: What a request without a proxy passes: no proxy, no proxy headers.
NO_PROXY: Final[tuple[URL | None, dict[str, str] | None]] = (None, None)


class Proxies:
    """Which proxy each URL goes through: none until :meth:`read_environment`."""

    __slots__ = ("_by_scheme", "_cache", "_environment", "active")

    def __init__(self) -> None:
        #: Whether some scheme goes through a proxy (else every URL connects directly):
        #: an attribute, so that the request path checks it without a call.
        self.active = False
        self._cache: dict[tuple[str, str | None], tuple[URL | None, dict[str, str] | None]] = {}
        self._by_scheme: dict[str, tuple[URL, dict[str, str] | None]] = {}
        self._environment: dict[str, str] = {}

    def read_environment(self) -> None:
        """Take the proxies the environment names now (and forget earlier answers)."""
        import urllib.request  # rare path: keeps `import taskade_async` fast

        from aiohttp.helpers import proxies_from_env

        self._cache.clear()
        self._by_scheme.clear()
        self._environment = urllib.request.getproxies_environment()  # includes "no"
        for scheme, info in proxies_from_env().items():  # credentials: the URL's or ~/.netrc
            auth = info.proxy_auth
            headers = None if auth is None else {"Proxy-Authorization": auth.encode()}
            self._by_scheme[scheme] = (info.proxy, headers)
        self.active = bool(self._by_scheme)

    def __bool__(self) -> bool:
        return self.active

    def of(self, url: URL) -> tuple[URL | None, dict[str, str] | None]:
        """The proxy for ``url`` and its headers, or ``(None, None)`` to connect directly."""
        key = (url.scheme, url.host)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._resolve(url)
        return found

    def _resolve(self, url: URL) -> tuple[URL | None, dict[str, str] | None]:
        import urllib.request

        chosen = self._by_scheme.get(url.scheme)
        if chosen is None or (
            url.host is not None
            and urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
                url.host, self._environment
            )
        ):
            return NO_PROXY
        return chosen
