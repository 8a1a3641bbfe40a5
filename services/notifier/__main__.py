"""``python -m services.notifier``: serve the API; the lifespan runs consumer and workers."""

from __future__ import annotations

import uvicorn

from services.notifier.config import NotifierSettings
from services.notifier.entrypoints.app import create_app


def main() -> None:
    settings = NotifierSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
