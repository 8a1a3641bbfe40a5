"""Printing results for people (tables) or scripts (``--json``), and failing clearly."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import httpx
import typer


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def check(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; otherwise exit non-zero with the problem's detail."""
    if response.is_success:
        return response.json() if response.content else None
    try:
        problem = response.json()
        detail = f"{problem.get('title', '')}: {problem.get('detail', '')}"
    except ValueError:
        detail = response.text[:500]
    fail(
        f"{response.request.method} {response.request.url.path} -> {response.status_code} {detail}"
    )


def emit(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    as_json: bool,
    columns: Iterable[str] = (),
) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=None if isinstance(rows, list) else 2, default=str))
        return
    if isinstance(rows, Mapping):
        for key, value in rows.items():
            typer.echo(f"{key}: {value}")
        return
    cols = list(columns) or (list(rows[0]) if rows else [])
    widths = {c: max([len(c), *(len(_cell(r, c)) for r in rows)]) for c in cols}
    typer.echo("  ".join(c.ljust(widths[c]) for c in cols))
    for row in rows:
        typer.echo("  ".join(_cell(row, c).ljust(widths[c]) for c in cols))


def _cell(row: Mapping[str, Any], column: str) -> str:
    """``-`` for a missing or null value (not ``None``), so columns stay readable."""
    value = row.get(column)
    return "-" if value is None else str(value)
