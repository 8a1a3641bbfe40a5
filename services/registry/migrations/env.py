"""Alembic environment of the registry: see :func:`services.common.migrations.run_env`."""

from services.common.migrations import run_env

run_env()
