"""Knowledge as per-stream logs of events, rebuilt from the topic (sql/0003_knowledge_logs.sql)."""

from services.common.migrations import sql_revision
from services.notifier.migrations import SQL

revision, down_revision = "0003", "0002"
upgrade, downgrade = sql_revision(SQL, "0003_knowledge_logs")
