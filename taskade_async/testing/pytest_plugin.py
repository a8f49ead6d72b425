"""pytest fixtures for FakeTaskade (opt-in).

Enable in a ``conftest.py``::

    pytest_plugins = ("taskade_async.testing.pytest_plugin",)

then take ``taskade_fake`` (a started :class:`FakeTaskade`, closed after the
test) or ``taskade_session`` (a :class:`taskade_async.Session` on that fake).
They are async fixtures: with pytest-asyncio installed they are its fixtures
(so they work in its ``strict`` mode, with tests marked
``@pytest.mark.asyncio``, and in ``auto`` mode); without it, they are plain
pytest fixtures for whichever async runner you use.

Options, per test, class or module (``pytestmark``), with the ``taskade``
mark::

    @pytest.mark.taskade(retry=tk.RetryPolicy(base_backoff=0.001), faults="503:0.2,seed:1")

- ``demo=True``: load the demo account (``load_demo()``);
- ``rate_limit=RPS`` or ``(RPS, BURST)``: the fake's per-token rate limit;
- ``faults=``: random faults, as text (``"reset:0.02,503:0.03,429:0.01"``)
  or a mapping (see :meth:`~taskade_async.testing.FakeTaskade.random_faults`);
- ``latency=SECONDS``: added before every answer;
- ``retry=``: the session's :class:`~taskade_async.RetryPolicy` (fast
  backoff, so that fault tests do not sleep);
- ``session={...}``: other :class:`~taskade_async.Session` arguments
  (``deadline``, ``rate_limit``, ...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import pytest

from taskade_async import RetryPolicy, Session

from ._fake import FakeTaskade
from ._faultspec import parse_faults

__all__ = ["pytest_configure", "taskade_fake", "taskade_session"]

if TYPE_CHECKING:
    _fixture = pytest.fixture
else:
    try:
        import pytest_asyncio
    except ImportError:  # another runner (anyio, ...) drives plain async fixtures
        _fixture = pytest.fixture
    else:
        _fixture = pytest_asyncio.fixture

_MARK: Final = "taskade"
_FAKE_OPTIONS: Final = frozenset({"demo", "rate_limit", "faults", "latency"})
_SESSION_OPTIONS: Final = frozenset({"retry", "session"})


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``taskade`` mark (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        "taskade(demo=False, rate_limit=None, faults=None, latency=0, retry=None, session=None):"
        " options of the taskade_fake and taskade_session fixtures",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ``taskade`` mark's options for this test (the closest mark wins), checked."""
    mark = request.node.get_closest_marker(_MARK)
    if mark is None:
        return {}
    if mark.args:
        raise pytest.UsageError("@pytest.mark.taskade takes keyword arguments only")
    unknown = set(mark.kwargs) - _FAKE_OPTIONS - _SESSION_OPTIONS
    if unknown:
        known = ", ".join(sorted(_FAKE_OPTIONS | _SESSION_OPTIONS))
        raise pytest.UsageError(f"@pytest.mark.taskade: unknown {sorted(unknown)} (known: {known})")
    return dict(mark.kwargs)


def _configure_fake(fake: FakeTaskade, given: Mapping[str, Any]) -> None:
    """Apply the fake's options (demo, rate_limit, faults, latency) to ``fake``."""
    if given.get("demo"):
        fake.load_demo()
    latency = given.get("latency")
    if latency is not None:
        fake.latency = float(latency)
    rate = given.get("rate_limit")
    if rate is not None:
        rps, burst = rate if isinstance(rate, tuple) else (rate, None)
        fake.set_rate_limit(float(rps), burst)
    faults = given.get("faults")
    if faults is not None:
        try:
            fake.random_faults(**parse_faults(faults))
        except ValueError as exc:
            raise pytest.UsageError(f"@pytest.mark.taskade: {exc}") from None


def _session_arguments(given: Mapping[str, Any]) -> dict[str, Any]:
    """The Session arguments of the options (``retry``, ``session``)."""
    kwargs: dict[str, Any] = dict(given.get("session") or {})
    retry = given.get("retry")
    if retry is not None:
        if not isinstance(retry, RetryPolicy):
            raise pytest.UsageError("@pytest.mark.taskade: retry must be a RetryPolicy")
        kwargs["retry"] = retry
    kwargs.setdefault("trust_env", False)  # the fake is on loopback: never through a proxy
    return kwargs


@_fixture
async def taskade_fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeTaskade]:
    """A started FakeTaskade on 127.0.0.1, empty unless ``@pytest.mark.taskade(demo=True)``."""
    given = _options(request)
    async with FakeTaskade() as fake:
        _configure_fake(fake, given)
        yield fake


@_fixture
async def taskade_session(
    taskade_fake: FakeTaskade, request: pytest.FixtureRequest
) -> AsyncIterator[Session]:
    """A taskade_async Session talking to ``taskade_fake`` with its personal token."""
    kwargs = _session_arguments(_options(request))
    async with Session(
        token=taskade_fake.token, base_url=taskade_fake.base_url, **kwargs
    ) as session:
        yield session
