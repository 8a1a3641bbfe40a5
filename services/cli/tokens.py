"""``remit token``: mint bearer tokens, make development key pairs, publish their JWKS.

    remit token --scope registry:write                # HS256, development only
    remit token keygen .run/keys/dev.pem             # an ES256 key pair (RS256, EdDSA: --alg)
    remit token --scope registry:write --key .run/keys/dev.pem
    remit token jwks .run/keys --serve --port 8099   # its public half, for REMIT_JWT_JWKS

A directory given to ``jwks`` stands for every ``*.pem`` in it, read again on each request, so
adding a key file and later removing the old one rotates the keys without a restart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import typer

from services.cli.output import fail
from services.common import devkeys
from services.common.auth import AuthSettings, issue_token

token_app = typer.Typer(
    help="Mint a bearer token (this command), or manage development keys (subcommands).",
    invoke_without_command=True,
)
JWKS_PATHS = ("/.well-known/jwks.json", "/jwks.json")


def signing_key(settings: AuthSettings, path: str | None) -> devkeys.PrivateKey | None:
    """The PEM private key at ``path``; without one, None (HS256: development only)."""
    if path:
        return devkeys.load_key(Path(path))
    if settings.production:
        fail(
            "production refuses HS256 tokens: sign with a key (--key or REMIT_JWT_SIGNING_KEY) "
            "that the services' JWKS publishes, or pass your identity provider's token in "
            "REMIT_TOKEN",
            2,
        )
    return None


@token_app.callback()
def token(
    ctx: typer.Context,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", "-s", help="Scope to grant (repeat).")
    ] = None,
    organisation: Annotated[str | None, typer.Option("--org", help="Organisation id.")] = None,
    subject: Annotated[str, typer.Option(help="Who the token is for.")] = "operator",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
    key: Annotated[
        str | None,
        typer.Option(help="PEM private key to sign with (default: REMIT_JWT_SIGNING_KEY)."),
    ] = None,
) -> None:
    """Issue a token: signed with a key pair if one is given, else HS256 with REMIT_JWT_SECRET
    (development only)."""
    if ctx.invoked_subcommand is not None:
        return
    if not scope:
        fail("give at least one --scope", 2)
    from services.cli.main import _settings

    settings = _settings()
    private = signing_key(settings, key or settings.jwt_signing_key)
    typer.echo(issue_token(settings, subject, scope, organisation, ttl, private))


@token_app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the PEM private key.")],
    alg: Annotated[str, typer.Option(help="RS256, ES256 or EdDSA.")] = "ES256",
) -> None:
    """Make a development key pair; prints its key id (kid)."""
    if path.exists():
        fail(f"{path} exists; not overwriting a key", 2)
    try:
        key = devkeys.generate_key(alg)
    except ValueError as exc:
        fail(str(exc), 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(devkeys.pem(key))
    typer.echo(devkeys.public_jwk(key)["kid"])


def _keys(paths: Iterable[Path]) -> list[devkeys.PrivateKey]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.pem")) if path.is_dir() else [path]
    return [devkeys.load_key(file) for file in files]


@token_app.command("jwks")
def jwks(
    paths: Annotated[list[Path], typer.Argument(help="PEM private keys, or directories of them.")],
    serve: Annotated[bool, typer.Option(help="Serve it over HTTP instead of printing it.")] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on (0: any free one).")] = 8099,
) -> None:
    """The JWKS (public keys only) of development keys; with --serve, at /.well-known/jwks.json."""
    if not serve:
        typer.echo(json.dumps(devkeys.jwks(_keys(paths)), indent=2))
        return

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in JWKS_PATHS:
                self.send_error(404)
                return
            body = json.dumps(devkeys.jwks(_keys(paths))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), Handler)
    address = f"http://{host}:{server.server_address[1]}{JWKS_PATHS[0]}"
    typer.echo(f"serving the JWKS at {address}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
