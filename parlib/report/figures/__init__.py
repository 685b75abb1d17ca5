"""Charts of every report (matplotlib Figure objects, Vietnamese labels, A4 width)."""
