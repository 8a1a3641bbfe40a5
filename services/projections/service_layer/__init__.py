"""Use cases: project a batch of records (live), rebuild a read model (replay)."""
