"""How every Kafka client of Remit connects: one settings class, one function to client options.

Services, the CLI, the infrastructure scripts, the test fixtures and the benchmarks all build
their aiokafka producers, consumers and admin clients with ``**client_options(settings)``, so
a broker that asks for SASL/SCRAM or TLS is configured once, by ``REMIT_KAFKA_*`` variables:

- ``PLAINTEXT`` (the default): no authentication; for a broker on this machine only.
- ``SASL_PLAINTEXT`` / ``SASL_SSL``: a principal (``REMIT_KAFKA_USERNAME``) and its password,
  SCRAM-SHA-512 unless ``REMIT_KAFKA_SASL_MECHANISM`` says otherwise. ``SASL_SSL`` adds TLS.
- ``SSL``: TLS, and mutual TLS (the certificate names the principal) when a client certificate
  and key are given.

See docs/security.md for which principal each service uses and what its ACLs allow.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
DEFAULT_BOOTSTRAP = "127.0.0.1:59092"


class KafkaSettings(BaseSettings):
    """The Kafka connection of one process (a mixin of every service's and the CLI's settings)."""

    model_config = SettingsConfigDict(env_prefix="REMIT_", extra="ignore")

    kafka_bootstrap: str = DEFAULT_BOOTSTRAP
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description="`PLAINTEXT`, `SASL_PLAINTEXT`, `SASL_SSL` or `SSL` (mutual TLS with a"
        " client certificate); the native stack (`make run`) uses `SASL_PLAINTEXT`",
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512",
        description="SASL mechanism of the principal: `SCRAM-SHA-512`, `SCRAM-SHA-256`, or"
        " `PLAIN` (the native stack's broker administrator only)",
    )
    kafka_username: str | None = Field(
        default=None, description="Kafka principal (SASL user name) of this process"
    )
    kafka_password: SecretStr | None = Field(
        default=None, description="Password of the Kafka principal"
    )
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle that signs the brokers' certificates (TLS)"
    )
    kafka_ssl_certfile: str | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS"
    )
    kafka_ssl_keyfile: str | None = Field(
        default=None, description="Private key (PEM) of the client certificate"
    )

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaSettings:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_username and self.kafka_password
        ):
            raise ValueError(
                f"REMIT_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs"
                " REMIT_KAFKA_USERNAME and REMIT_KAFKA_PASSWORD"
            )
        return self


def _ssl_context(settings: KafkaSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    return context


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for ``AIOKafkaProducer``, ``AIOKafkaConsumer`` and
    ``AIOKafkaAdminClient``: the bootstrap servers and the security settings."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = _ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL_"):
        assert settings.kafka_password is not None  # the validator saw to it
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_username
        options["sasl_plain_password"] = settings.kafka_password.get_secret_value()
    return options


def connection(bootstrap: str, **security: Any) -> KafkaSettings:
    """Settings for ``bootstrap``: the security fields given here, else from ``REMIT_KAFKA_*``
    in the environment (how tests and tools reach a broker they were told about)."""
    return KafkaSettings(kafka_bootstrap=bootstrap, **security)


def environment(settings: KafkaSettings) -> dict[str, str]:
    """The ``REMIT_KAFKA_*`` variables that give a child process this connection."""
    env = {
        "REMIT_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "REMIT_KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL_"):
        env["REMIT_KAFKA_SASL_MECHANISM"] = settings.kafka_sasl_mechanism
    if settings.kafka_username:
        env["REMIT_KAFKA_USERNAME"] = settings.kafka_username
    if settings.kafka_password:
        env["REMIT_KAFKA_PASSWORD"] = settings.kafka_password.get_secret_value()
    for name in ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile"):
        if value := getattr(settings, name):
            env[f"REMIT_{name.upper()}"] = value
    return env
