"""Layer 0 — core: errors, issues, periods, numbers, labels, Vietnamese formatting, the working-day
calendar, paths and the catalog of raw inputs, atomic I/O and the parse cache. Imports nothing of parlib.
"""
