"""Synthetic sample data: annual scoresheets and province tables, operational exports.

Everything generated here is synthetic and labelled so; the analysis code never imports
this package (only tests and the `parlib generate` command do).
"""
