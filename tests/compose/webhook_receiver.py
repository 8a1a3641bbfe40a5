"""A webhook receiver for the compose smoke: keeps every POST, lists them on GET /received.

    python webhook_receiver.py PORT [TLS_DIR]   # standard library only: any Python image

With ``TLS_DIR`` it speaks HTTPS with ``TLS_DIR/cert.pem`` and ``TLS_DIR/key.pem``
(tests/compose/tls.py), as a production notifier requires of every receiver.

Each kept request is ``{"path", "headers", "body"}`` (body as text), in arrival order;
``GET /healthz`` answers 200 for the container's health check.
"""

from __future__ import annotations

import json
import signal
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED: list[dict[str, object]] = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        with LOCK:
            RECEIVED.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.answer(200, {"ok": True})

    def do_GET(self) -> None:
        if self.path == "/received":
            with LOCK:
                self.answer(200, list(RECEIVED))
        elif self.path == "/healthz":
            self.answer(200, {"status": "ok"})
        else:
            self.answer(404, {"detail": "not found"})

    def answer(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        print(f"receiver: {format % args}", flush=True)


if __name__ == "__main__":
    # PID 1 in its container: without a handler SIGTERM is ignored and the stop waits 30 s
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler)
    if len(sys.argv) > 2:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(f"{sys.argv[2]}/cert.pem", f"{sys.argv[2]}/key.pem")
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
