"""CPU accounting from /proc: a process's CPU seconds and the machine's busy fraction."""

from __future__ import annotations

import os
import threading
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


class CpuSampler:
    """Each process's CPU seconds sampled every ``every_s`` on a thread, wall-clock stamped
    (``time.time()``, as the load generator stamps its requests), so that the CPU a process
    spent in any window of a run (one phase) can be read afterwards with :meth:`cpu_s`."""

    def __init__(self, pids: dict[str, int], every_s: float = 0.25) -> None:
        self.pids = pids
        self.every_s = every_s
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> CpuSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        self.samples.append((time.time(), {n: process_cpu_s(p) for n, p in self.pids.items()}))

    def _run(self) -> None:
        self._sample()
        while not self._stop.wait(self.every_s):
            self._sample()
        self._sample()

    def cpu_s(self, name: str, begin: float, end: float) -> float | None:
        """CPU seconds ``name`` spent between two wall-clock times (linear between samples);
        None if the samples do not cover the window."""
        if not self.samples or begin < self.samples[0][0] or end > self.samples[-1][0]:
            return None
        return self._at(name, end) - self._at(name, begin)

    def _at(self, name: str, when: float) -> float:
        for (t0, a), (t1, b) in zip(self.samples, self.samples[1:], strict=False):
            if t0 <= when <= t1:
                share = (when - t0) / (t1 - t0) if t1 > t0 else 0.0
                return a[name] + share * (b[name] - a[name])
        return self.samples[-1][1][name]
