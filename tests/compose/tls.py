"""A test CA and a certificate for the webhook receiver, so that the notifier delivers over
HTTPS in production mode (which refuses http:// webhooks) and checks the receiver's name.

The notifier verifies webhook receivers against certifi's bundle; tests/compose/webhook-receiver.yml
mounts this CA in its place (in the notifier's container only, for the test run only).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "cert.pem", "key.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def write(directory: Path, host: str) -> Path:
    """``ca.pem``, and ``cert.pem`` / ``key.pem`` for ``host`` and 127.0.0.1, valid for a day;
    world-readable (the receiver runs as another user; nothing here protects anything real)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("remit compose test CA"))
        .issuer_name(_name("remit compose test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for name, data in ((CA_FILE, _pem(ca)), (CERT_FILE, _pem(cert)), (KEY_FILE, key_pem)):
        (directory / name).write_bytes(data)
        (directory / name).chmod(0o644)
    return directory
