"""Layer 5 — report: Vietnamese sentences, figures, sections, the report files (HTML, Excel,
``summary.json``) and the papermill/nbconvert rendering with its manifest.
"""
