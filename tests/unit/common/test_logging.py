"""Log lines: one JSON object each, from structlog and the standard library alike, carrying the
service and, inside a request or an event, its correlation id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from services.common.observability import configure_logging, correlation, current_correlation_id


@pytest.fixture
def stdout(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What the services write on stdout, configured as they configure it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    written = io.StringIO()
    monkeypatch.setattr("sys.stdout", written)
    configure_logging("registry", "INFO")
    yield written
    structlog.reset_defaults()
    root.handlers[:], root.level = handlers, level


def test_lines_say_service_and_correlation(stdout: io.StringIO) -> None:
    with correlation("req-1"):
        assert current_correlation_id() == "req-1"
        structlog.get_logger("x").info("command_accepted", command="RegisterOrganisation")
        logging.getLogger("y").warning("relay: standby")
    structlog.get_logger("x").debug("not shown at INFO")
    structlog.get_logger("x").info("outside")
    assert current_correlation_id() is None
    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [(line["event"], line["level"], line["service"]) for line in lines] == [
        ("command_accepted", "info", "registry"),
        ("relay: standby", "warning", "registry"),
        ("outside", "info", "registry"),
    ]
    assert [line.get("correlation_id") for line in lines] == ["req-1", "req-1", None]
    assert lines[0]["command"] == "RegisterOrganisation" and "timestamp" in lines[0]
