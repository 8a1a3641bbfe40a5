"""The notifier's tables as main 45e7b62 created them at start-up (sql/0001_tables.sql)."""

from services.common.migrations import sql_revision
from services.notifier.migrations import SQL

revision, down_revision = "0001", None
upgrade, downgrade = sql_revision(SQL, "0001_tables")
