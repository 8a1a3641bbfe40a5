"""Placeholder; replaced below."""
def generate() -> None:
    pass
