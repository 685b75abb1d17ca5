"""Layer 2 — ingest: readers of every raw file kind and of the analyst's configuration tables.
Readers return data (frames, issues, ledger); they never compute KPIs. Imports core and model.
"""
