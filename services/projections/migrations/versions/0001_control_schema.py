"""The control schema: the active-schema pointer and the dead letters (sql/0001_control.sql)."""

from services.common.migrations import sql_revision
from services.projections.migrations import SQL

revision, down_revision = "0001", None
upgrade, downgrade = sql_revision(SQL, "0001_control")
