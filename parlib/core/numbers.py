"""Shared numeric constants and helpers."""

from __future__ import annotations

SMALL_SAMPLE_N = 30
