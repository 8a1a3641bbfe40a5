"""Baselines measured in the same run as Remit: the eventsourcing library and pgbench."""
