"""The ``remit`` command line, run in this process: what a test needs of it is its output."""

from __future__ import annotations

from typer.testing import CliRunner

from services.cli.main import app


def remit(*args: str) -> str:
    """``remit ARGS``' standard output; the test fails if it exits with an error."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout
