"""Development key pairs: what ``remit token`` signs with, and the JWKS it serves for them.

A stand-in for an identity provider on one machine (``make run``, tests): generate a key
(``remit token keygen``), sign tokens with it (``remit token --key``), publish its public half
(``remit token jwks --serve``) and point the services' ``REMIT_JWT_JWKS`` at that. Each key's
``kid`` is its RFC 7638 thumbprint, so the same key always has the same id.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def generate_key(alg: str) -> PrivateKey:
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"cannot make a {alg} key (RS256, ES256, EdDSA)")


def pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        return key
    raise ValueError(f"{path}: not an RSA, EC P-256 or Ed25519 private key")


def algorithm_of(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("only P-256 EC keys (ES256)")
        return "ES256"
    return "EdDSA"


THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
"""The members RFC 7638 hashes, per key type (RFC 8037 for OKP)."""


def public_jwk(key: PrivateKey) -> dict[str, Any]:
    """The public half as a JWK, with ``kid`` = its RFC 7638 thumbprint, ``alg`` and ``use``."""
    alg = algorithm_of(key)
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(canonical).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**members, "kid": kid, "alg": alg, "use": "sig"}


def jwks(keys: list[PrivateKey]) -> dict[str, Any]:
    """The JWKS document that publishes these keys' public halves."""
    return {"keys": [public_jwk(key) for key in keys]}


def sign(key: PrivateKey, claims: dict[str, Any]) -> str:
    """A JWT signed with ``key``, its header naming the key (``kid``)."""
    jwk = public_jwk(key)
    return jwt.encode(claims, key, algorithm=jwk["alg"], headers={"kid": jwk["kid"]})
