"""Types of the satisfaction survey: the scale rule (:class:`SurveyConfig`) and the parsed data
(:class:`SurveyData`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from parlib.core.issues import Ledger, issues_frame
from parlib.core.numbers import SMALL_SAMPLE_N

ITEM_COLUMNS = ["item_code", "factor_code", "factor_name", "item_text"]


@dataclass(frozen=True)
class SurveyConfig:
    """Likert scale and the "satisfied" rule. Defaults: 1–5, satisfied = 4 or 5 (hài lòng + rất
    hài lòng). Neither was confirmed by an official source (domain brief §3): keep them
    configurable. ``small_n``: below it a rate is flagged as a small sample; ``alpha``: level
    of the Wilson intervals and of the change tests."""

    scale_min: int = 1
    scale_max: int = 5
    satisfied_min: int = 4
    small_n: int = SMALL_SAMPLE_N
    alpha: float = 0.05

    def __post_init__(self):
        if not self.scale_min < self.satisfied_min <= self.scale_max:
            raise ValueError("need scale_min < satisfied_min <= scale_max")


@dataclass
class SurveyData:
    """Result of reading survey files.

    responses: respondent_key, source, sheet, row, year, quarter, response_id, surveyed_at,
        channel, field_name, overall (float, NaN = missing), comment (NFC, scrubbed).
    answers: respondent_key, year, quarter, channel, field_name, factor_code, item_code,
        answer (float, NaN = blank or out of scale); one row per respondent × item present.
    issues / ledger: the contract tables of ``parlib.issues``.
    The few-valued texts (RESPONSE_CATEGORIES, ANSWER_CATEGORIES) are pandas categoricals,
    categories in code-point order (``parlib.core.frames``): two million answers group in a
    fraction of the time their texts take.
    """

    responses: pd.DataFrame
    answers: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=issues_frame)
    ledger: pd.DataFrame = field(default_factory=lambda: Ledger().to_frame())


RESPONSE_CATEGORIES = ("source", "sheet", "channel", "field_name")
ANSWER_CATEGORIES = ("respondent_key", "channel", "field_name", "factor_code", "item_code")

OVERALL_NAME = "Hài lòng chung"
