"""Status vocabulary of the plan-task progress reports."""

from __future__ import annotations

from parlib.core.text import fold

DONE, ON_TRACK, BEHIND, NOT_UPDATED = "Hoàn thành", "Đúng tiến độ", "Chậm tiến độ", "Chưa cập nhật"
STATUSES = {fold(s): s for s in (DONE, ON_TRACK, BEHIND)}
