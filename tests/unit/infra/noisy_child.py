"""A child for the supervisor tests: one 200 KiB line, then many short ones, then waits."""

from __future__ import annotations

import sys
import time

sys.stdout.write("first\n" + "x" * (200 * 1024) + "\n")
for i in range(2000):
    sys.stdout.write(f"after {i}\n")
sys.stdout.write("done\n")
sys.stdout.flush()
time.sleep(60)
