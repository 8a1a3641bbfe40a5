"""Sequencing in one round trip, and the append notification in a trigger
(sql/0002_sequencer.sql).

The sequencer batch (lock, assign in insertion order, move ``last_position``, notify) becomes the
function ``sequence_batch``; ``positions_of`` reads the positions of some events and, if any is
still missing, runs a batch first unless another session is running one.
"""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.registry.migrations import SQL

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    run_script(SQL / "0002_sequencer.sql")


def downgrade() -> None:
    s = schema()
    op.execute(f"DROP TRIGGER IF EXISTS events_notify_appended ON {s}.events")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.notify_appended()")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.positions_of(uuid[], integer, bigint)")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.sequence_batch(integer, bigint, boolean)")
