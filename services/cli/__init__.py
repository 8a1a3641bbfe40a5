"""``remit``: the operator's command line (entry point ``services.cli:app``)."""

from services.cli.main import app

__all__ = ["app"]
