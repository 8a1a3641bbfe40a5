"""CPU accounting from /proc: a process's CPU seconds and the machine's busy fraction."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        parts = [int(x) for x in stat.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts), idle


@dataclass
class CpuWindow:
    """Start with :meth:`begin`; :meth:`end` gives ``{"machine_busy", "<name>_cores",
    "<name>_cpu_s"}`` (cores: CPU seconds per second of the window)."""

    pids: dict[str, int]
    _t: float = 0.0
    _proc: dict[str, float] | None = None
    _machine: tuple[int, int] = (0, 0)

    def begin(self) -> CpuWindow:
        self._t = time.perf_counter()
        self._proc = {name: process_cpu_s(pid) for name, pid in self.pids.items()}
        self._machine = machine_ticks()
        return self

    def end(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._t
        total, idle = machine_ticks()
        d_total, d_idle = total - self._machine[0], idle - self._machine[1]
        out = {"machine_busy": round(1 - d_idle / d_total, 3) if d_total else 0.0}
        for name, pid in self.pids.items():
            used = process_cpu_s(pid) - (self._proc or {}).get(name, 0.0)
            out[f"{name}_cores"] = round(used / elapsed, 3) if elapsed else 0.0
            out[f"{name}_cpu_s"] = round(used, 3)
        return out


def ms_per_unit(cpu_s: float | None, count: int | float | None) -> float | None:
    """CPU milliseconds per unit of work (cores × seconds ÷ count); None without a count."""
    if cpu_s is None or not count:
        return None
    return round(1000 * cpu_s / count, 3)
