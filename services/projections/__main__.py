"""Entry point: ``python -m services.projections [serve|consume|migrate|rebuild|checksum]``."""

from __future__ import annotations

import sys

from services.projections.entrypoints.cli import main

sys.exit(main(sys.argv[1:]))
