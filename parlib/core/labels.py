"""Vietnamese vocabulary shared by analyses and reports: KPI names, statuses, units, stages,
factor and channel names.
"""

from __future__ import annotations

KPI_LABELS = {
    "on_time_pct": "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
    "early_pct": "Tỷ lệ hồ sơ giải quyết trước hạn",
    "late_pct": "Tỷ lệ hồ sơ trễ hạn",
    "apology_pct": "Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi",
    "apology_on_time_pct": "Tỷ lệ văn bản xin lỗi gửi đúng thời hạn",
    "reschedule_violation_pct": "Tỷ lệ hồ sơ hẹn lại quá một lần",
    "online_pct": "Tỷ lệ hồ sơ nộp trực tuyến",
    "digitised_pct": "Tỷ lệ hồ sơ được số hóa",
    "e_result_pct": "Tỷ lệ hồ sơ có kết quả điện tử",
    "online_payment_pct": "Tỷ lệ hồ sơ thanh toán trực tuyến",
    "system_updated_pct": "Tỷ lệ hồ sơ cập nhật đầy đủ, nhất quán trên hệ thống",
    "handling_satisfaction_pct": "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC (chỉ số 766 số 5.4)",
}
KPI_NOUNS = {
    "on_time_pct": "hồ sơ đúng hạn",
    "early_pct": "hồ sơ trước hạn",
    "late_pct": "hồ sơ trễ hạn",
    "apology_pct": "hồ sơ trễ hạn có văn bản xin lỗi",
    "apology_on_time_pct": "văn bản xin lỗi gửi đúng thời hạn",
    "reschedule_violation_pct": "hồ sơ hẹn lại quá một lần",
    "online_pct": "hồ sơ nộp trực tuyến",
    "digitised_pct": "hồ sơ được số hóa",
    "e_result_pct": "hồ sơ có kết quả điện tử",
    "online_payment_pct": "hồ sơ thanh toán trực tuyến",
    "system_updated_pct": "hồ sơ cập nhật đầy đủ trên hệ thống",
    "handling_satisfaction_pct": "hồ sơ không quá hạn và không bị đánh giá không hài lòng",
    # KPIs of other sources that share the target machinery (parlib.quarterly.headline_kpis)
    "feedback_on_time_pct": "phản ánh, kiến nghị xử lý đúng hạn",
    "satisfaction_pct": "người trả lời hài lòng",
    "tasks_on_time_pct": "nhiệm vụ hoàn thành đúng tiến độ",
}
STATUS_VI = {
    "met": "Đạt",
    "at_risk": "Có nguy cơ",
    "missed": "Không đạt",
    "not_applicable": "Không áp dụng",
    "no_data": "Chưa có số liệu",
}
NOT_APPLICABLE = "không áp dụng"
UNIT_VI = {"working_days": "ngày làm việc", "calendar_days": "ngày", "hours": "giờ làm việc"}
MEASURE_LABELS = {
    **KPI_LABELS,
    "satisfaction_pct": "Tỷ lệ người dân, tổ chức hài lòng (khảo sát của Sở)",
    "feedback_on_time_pct": "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
    "tasks_on_time_pct": "Tỷ lệ nhiệm vụ của Kế hoạch hoàn thành đúng tiến độ",
    "index766_points": "Điểm Bộ chỉ số 766 (%)",
}
STAGE_VI = {
    "not_claimed": "tự đánh giá (không tự chấm đủ điểm)",
    "cut_at_appraisal": "thẩm định (bị trừ điểm)",
    "survey": "điều tra xã hội học",
    "none": "không xác định",
}

UNKNOWN_OFFICE = "(chưa rõ đơn vị)"


FACTOR_VI = {
    "office_name": "phòng",
    "field_name": "lĩnh vực",
    "channel": "kênh nộp",
    "workload_z": "khối lượng hồ sơ tiếp nhận trong tháng (mỗi độ lệch chuẩn)",
    "workload_rel": "khối lượng hồ sơ tiếp nhận",
    "workload": "khối lượng hồ sơ tiếp nhận",
}
CHANNEL_VI = {"1": "trực tiếp", "2": "trực tuyến", "3": "bưu chính công ích"}


# measures whose cause rows carry the unit's figure even when an office is named (the offices that
# answered feedback late, the lead offices of late tasks): never written as that office's own figure
DEPARTMENT_FIGURES = ("feedback_on_time_pct", "tasks_on_time_pct", "index766_points")


QUARTER_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def quarter_label(year: int, quarter: int) -> str:
    """``quarter_label(2026, 3) == 'Quý III/2026'``."""
    return f"Quý {QUARTER_ROMAN[quarter]}/{year}"
