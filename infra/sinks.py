"""What ``make run`` catches for a new user to look at: alert e-mail in a Maildir, webhooks in
a folder, on this machine only.

The mail sink is aiosmtpd's ``Mailbox`` handler, which writes each message into a Maildir. A
Maildir needs ``cur/``, ``new/`` and ``tmp/``; :func:`maildir` makes them (Python's
``mailbox.Maildir`` only does when it creates the folder itself, so a folder made beforehand
left every delivery failing with ``FileNotFoundError``).

The webhook sink (``python -m infra.sinks hooks DIR``, port in ``REMIT_PORT``) answers every
``POST`` with 204 and keeps the request as ``DIR/<n>-<webhook-id>.json``: ``{"path", "headers",
"body"}``, the body as the exact text that was signed, so a subscriber can check the signature
with ``standardwebhooks`` as its own receiver would.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAILDIR_PARTS = ("cur", "new", "tmp")


def maildir(path: Path) -> None:
    """Make the Maildir at ``path`` complete (an existing folder keeps what it holds)."""
    for part in MAILDIR_PARTS:
        (path / part).mkdir(parents=True, exist_ok=True)


def hooks_app(folder: Path) -> Starlette:
    """The webhook sink as an ASGI app."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = len(list(folder.glob("*.json")))
    counter = itertools.count(kept + 1)

    def keep(record: dict[str, object]) -> None:
        headers = record["headers"]
        assert isinstance(headers, dict)
        name = f"{next(counter):05d}-{headers.get('webhook-id', 'no-id')}.json"
        (folder / name).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")

    async def receive(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        headers = {name.lower(): value for name, value in request.headers.items()}
        await run_in_threadpool(keep, {"path": request.url.path, "headers": headers, "body": body})
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/{path:path}", receive, methods=["POST"]),
        ]
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "hooks":
        print("usage: python -m infra.sinks hooks DIR  (port in REMIT_PORT)", file=sys.stderr)
        return 2
    import uvicorn

    port = int(os.environ.get("REMIT_PORT", "8005"))
    uvicorn.run(hooks_app(Path(argv[1])), host="127.0.0.1", port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
