"""The compose ``keys`` job: a development key pair for tokens, and its JWKS for the services.

    python -m tools.compose.keys [KEY_DIR] [JWKS_FILE]   # in the ``tools`` image

A stand-in for an identity provider, so that the services can run in production mode (which
refuses HS256) without one. The first run makes an ES256 key pair, ``KEY_DIR/signing.pem``
(mode 0600; ``remit token keygen``); every run publishes the public halves of every ``*.pem``
in ``KEY_DIR`` as ``JWKS_FILE`` (``remit token jwks``), replacing the file in one rename, so a
service never reads half of it. docker-compose.yml keeps the private key in its own volume
(mounted only here and into ``import-smith``, which signs with it) and the JWKS in another,
mounted read-only into the three services as ``REMIT_JWT_JWKS``. With a real identity provider
this job is disabled (docker-compose.idp.yml; docs/compose.md, "Tokens and keys").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

KEY_DIR = Path("/run/remit/keys")
JWKS_FILE = Path("/run/remit/jwks/jwks.json")
KEY_NAME = "signing.pem"


def remit(*args: str) -> str:
    """Run ``remit ARGS`` (the CLI of this image); its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    return done.stdout


def ensure_key(key_dir: Path) -> bool:
    """Make the key pair unless it exists; whether it was made."""
    key = key_dir / KEY_NAME
    if key.exists():
        return False
    kid = remit("token", "keygen", str(key)).strip()
    print(f"keys: made {key} (kid {kid})", flush=True)
    return True


def publish(key_dir: Path, jwks_file: Path) -> None:
    document = remit("token", "jwks", str(key_dir))
    partial = jwks_file.with_name(f".{jwks_file.name}.tmp")
    partial.write_text(document, encoding="utf-8")
    partial.chmod(0o644)
    partial.replace(jwks_file)
    print(f"keys: published {jwks_file}", flush=True)


def main(argv: list[str]) -> None:
    key_dir = Path(argv[0]) if argv else KEY_DIR
    jwks_file = Path(argv[1]) if len(argv) > 1 else JWKS_FILE
    ensure_key(key_dir)
    publish(key_dir, jwks_file)


if __name__ == "__main__":
    main(sys.argv[1:])
