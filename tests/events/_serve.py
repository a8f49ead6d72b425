"""A small aiohttp.web app on a free loopback port, for the bots tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from yarl import URL


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[URL]:
    """Run ``app`` on 127.0.0.1 and a free port; yield its root URL."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield URL.build(scheme="http", host=host, port=port)
    finally:
        await runner.cleanup()
