"""``python -m services.cli``: the same as the ``remit`` command."""

from services.cli import app

app()
