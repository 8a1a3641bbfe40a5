"""The supervisor drains a child's output whatever its line lengths (no pipe left full)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from infra.supervisor import LINE_LIMIT, ServiceSpec, Supervisor, read_line

ROOT = str(Path(__file__).resolve().parents[3])
KIB = 1024


async def _run_noisy(line_limit: int) -> list[str]:
    lines: list[str] = []
    done = asyncio.Event()

    def sink(name: str, line: str) -> None:
        lines.append(line)
        if line == "done":
            done.set()

    spec = ServiceSpec("noisy", "tests.unit.infra.noisy_child", 0, env={"PYTHONPATH": ROOT})
    supervisor = Supervisor([spec], colour=False, sink=sink, line_limit=line_limit)
    supervisor.start()
    try:
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await supervisor.stop(grace_s=5)
    return lines


async def test_a_200_kib_line_passes_whole_and_later_lines_follow() -> None:
    lines = await _run_noisy(LINE_LIMIT)
    assert lines[:2] == ["first", "x" * (200 * KIB)]
    assert lines[2:] == [*(f"after {i}" for i in range(2000)), "done"]


async def test_a_line_over_the_limit_is_cut_and_output_keeps_draining() -> None:
    lines = await _run_noisy(64 * KIB)
    assert lines[0] == "first"
    assert lines[1].startswith("x" * (32 * KIB))
    assert len(lines[1]) < 200 * KIB and lines[1].endswith("more bytes]")
    assert lines[2:] == [*(f"after {i}" for i in range(2000)), "done"]


def _stream(data: bytes, limit: int) -> asyncio.StreamReader:
    stream = asyncio.StreamReader(limit=limit)
    stream.feed_data(data)
    stream.feed_eof()
    return stream


@pytest.mark.parametrize("size", [15, 16, 17, 100, 1000])
async def test_read_line_accounts_for_every_byte(size: int) -> None:
    stream = _stream(b"a" * size + b"\nnext\nlast", limit=16)
    first = await read_line(stream)
    assert first is not None
    if b"cut" in first:
        head, note = first.split(b" ... [line cut: ")
        assert set(head) == {ord("a")}
        assert len(head) + int(note.split()[0]) == size
    else:
        assert first == b"a" * size + b"\n"
    assert [await read_line(stream) for _ in range(3)] == [b"next\n", b"last", None]
