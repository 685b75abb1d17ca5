"""Layer 1 — model: pure domain rules and types shared by readers and analyses (framework hierarchy
and scoring rules, dossier rules, crosswalk rules, rule tables, result dataclasses). No file I/O.
Imports only :mod:`parlib.core`.
"""
