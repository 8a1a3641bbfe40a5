"""``serve``: the JSON API and, on its own port, the pages for people, in one process.

The pages app shares the API app's state (read model, kept answers, consumer wake-ups), so both
answer from the same snapshot machinery and the pages are as fresh as the API. Each app keeps
its own uvicorn server: the API's starts first (its lifespan opens the read model the pages
read), the pages' once the API is up; when the API stops, so do the pages. Pages that
cannot start are logged and the API goes on.
"""

from __future__ import annotations

import asyncio
import socket

import structlog
import uvicorn

from services.projections.config import ProjectionsSettings
from services.projections.entrypoints.app import create_app
from services.projections.entrypoints.pages.app import create_pages_app

log = structlog.get_logger(__name__)


class Server(uvicorn.Server):
    """A uvicorn server that says when it has started (its lifespan ran, it listens)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.up.set()


def servers(settings: ProjectionsSettings) -> list[Server]:
    """The API's server, then the pages' (unless ``pages_port`` is 0)."""
    api = create_app(settings)
    found = [Server(uvicorn.Config(api, settings.host, settings.port, log_config=None))]
    if settings.pages_port:
        pages = create_pages_app(api)
        config = uvicorn.Config(
            pages, settings.host, settings.pages_port, log_config=None, lifespan="off"
        )
        found.append(Server(config))
    return found


async def serve_all(found: list[Server]) -> int:
    """Serve until the first server (the API) stops; the others start once it is up and stop
    with it. One that cannot start (its port taken) is logged and the API goes on. 1 if the
    API never started."""
    first, others = found[0], found[1:]
    api = asyncio.create_task(first.serve())
    up = asyncio.create_task(first.up.wait())
    await asyncio.wait([api, up], return_when=asyncio.FIRST_COMPLETED)
    up.cancel()
    beside = [asyncio.create_task(_beside(s)) for s in others] if first.started else []
    await asyncio.gather(api, return_exceptions=True)
    for server in others:
        server.should_exit = True
    await asyncio.gather(*beside, return_exceptions=True)
    return 0 if first.started else 1


async def _beside(server: Server) -> None:
    """Serve; uvicorn exits the process when it cannot bind: here that stops only this one."""
    try:
        await server.serve()
    except SystemExit:
        log.error("not serving", port=server.config.port, reason="could not start (port taken?)")


def serve(settings: ProjectionsSettings) -> int:
    found = servers(settings)
    if len(found) > 1:
        log.info("pages", url=f"http://{settings.host}:{settings.pages_port}/")
    return asyncio.run(serve_all(found))
