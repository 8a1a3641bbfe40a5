"""One module per workload; each has ``run(ctx) -> dict`` and writes nothing itself."""
