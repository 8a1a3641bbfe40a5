"""The notifier's pure rules: who an event affects and why, filters, retries, address safety.

Nothing here imports FastAPI, SQLAlchemy, httpx or aiokafka.
"""
