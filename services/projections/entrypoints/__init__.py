"""FastAPI app, consumer runner, command line."""
