"""Layer 6 — the ``parlib`` command line."""
