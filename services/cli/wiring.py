"""What the commands reach the outside world with. Tests pass their own through Click's
``obj`` (``CliRunner().invoke(app, args, obj=Wiring(transport=MockTransport(...)))``)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import httpx
import typer

Applied = Callable[[Collection[int]], set[int]]
"""Of these global positions, those the projections' active read model holds."""


def _projections_hold(positions: Collection[int]) -> set[int]:
    from services.cli.replay import projections_hold

    return projections_hold(positions)


@dataclass(frozen=True)
class Wiring:
    transport: httpx.BaseTransport | None = None
    """HTTP transport of every client (None: the network)."""
    run: Callable[[Sequence[str]], int] = subprocess.call
    """Runs a child command, returns its exit code."""
    applied: Applied = _projections_hold


def wiring(ctx: typer.Context) -> Wiring:
    return ctx.obj if isinstance(ctx.obj, Wiring) else Wiring()
