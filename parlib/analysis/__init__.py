"""Layer 3 — analysis: frames and configuration in, frames out; never opens a file and never
imports :mod:`parlib.ingest`. Imports core and model.
"""
