"""Pure projection logic: state, the fold over events, and the views. No I/O here."""
