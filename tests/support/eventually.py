"""Waiting for a condition instead of sleeping for it: the one helper every test tier uses.

    await eventually(lambda: len(receiver.at("/hook")) == 2)
    state = await eventually(lambda: read_state(), lambda s: s.position == 54, within=30)

``probe`` may be a plain function or return an awaitable; ``until`` decides whether its value
is the one awaited (by default: truthy). The value is returned. After ``within`` seconds the
wait fails with the last value seen, or the last error ``tolerate`` let through (a service
restarting, say).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]],
    until: Callable[[T], object] = ...,
    *,
    within: float = ...,
    step: float = ...,
    tolerate: tuple[type[BaseException], ...] = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T],
    until: Callable[[T], object] = ...,
    *,
    within: float = ...,
    step: float = ...,
    tolerate: tuple[type[BaseException], ...] = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], Any],
    until: Callable[[Any], object] = bool,
    *,
    within: float = 20.0,
    step: float = 0.05,
    tolerate: tuple[type[BaseException], ...] = (),
) -> Any:
    deadline = time.monotonic() + within
    last: object = "nothing yet"
    while True:
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
            if until(value):
                return value
            last = value
        except tolerate as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {within:g} s; last seen: {last!r:.500}")
        await asyncio.sleep(step)
