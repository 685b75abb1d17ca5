"""Comment themes counted by hand."""

import unicodedata

import pandas as pd
import pytest

from parlib.analysis.comments import NO_THEME, shorten, tag_comments, theme_counts, theme_examples
from parlib.core.errors import StructuralError
from parlib.core.paths import DEFAULT_DATA_DIR
from parlib.ingest.rules import load_comment_themes

THEMES = """theme,keyword
Thái độ phục vụ,thái độ
Thời gian giải quyết,trễ hạn
Thời gian giải quyết,quá hạn
Hướng dẫn,hướng dẫn
"Phí, lệ phí",phí
"Phí, lệ phí",lệ phí
Dịch vụ công trực tuyến,dịch vụ công
"""
COMMENTS = [
    (1, "Cán bộ có THÁI ĐỘ tốt, hướng dẫn tận tình"),  # thái độ + hướng dẫn
    (1, "Giải quyết trễ hạn, phải nộp lệ phí 2 lần"),  # thời gian + phí
    (1, "Phía trước cổng chật"),  # 'phía' is not 'phí' -> none
    (1, "Thai do tot"),  # no diacritics -> none
    (2, "Nộp trên cổng dịch vụ công rất tiện, gọi 0912 345 678"),  # dịch vụ công
    (2, None),
    (2, "   "),
    (2, unicodedata.normalize("NFD", "Thái độ  chưa tốt")),  # NFD text still matches
]


@pytest.fixture
def themes(tmp_path):
    p = tmp_path / "comment_themes.csv"
    p.write_text(THEMES, encoding="utf-8")
    return load_comment_themes(p)


@pytest.fixture
def responses():
    return pd.DataFrame(
        {
            "respondent_key": [f"r{i}" for i in range(len(COMMENTS))],
            "year": 2026,
            "quarter": [q for q, _ in COMMENTS],
            "channel": "Trực tiếp",
            "comment": [c for _, c in COMMENTS],
        }
    )


def test_tags_whole_words_with_diacritics(responses, themes):
    t = tag_comments(responses, themes)
    got = t.groupby("respondent_key")["theme"].apply(sorted).to_dict()
    assert got == {
        "r0": ["Hướng dẫn", "Thái độ phục vụ"],
        "r1": ["Phí, lệ phí", "Thời gian giải quyết"],
        "r2": [NO_THEME],
        "r3": [NO_THEME],
        "r4": ["Dịch vụ công trực tuyến"],
        "r7": ["Thái độ phục vụ"],
    }


def test_counts_per_quarter_by_hand(responses, themes):
    c = theme_counts(responses, themes).set_index(["quarter", "theme"])
    # Q1: 4 non-empty comments; thái độ 1, hướng dẫn 1, thời gian 1, phí 1, unthemed 2
    assert c.loc[(1, "Thái độ phục vụ"), "n_comments"] == 1
    assert c.loc[(1, NO_THEME), "n_comments"] == 2
    assert c.loc[(1, "Dịch vụ công trực tuyến"), "n_comments"] == 0
    assert (c.xs(1)["n_total"] == 4).all()
    assert c.loc[(1, "Phí, lệ phí"), "share_pct"] == 25.0
    # Q2: None and blanks are not comments -> 2 comments; thái độ 1, dịch vụ công 1, unthemed 0
    assert (c.xs(2)["n_total"] == 2).all()
    assert c.loc[(2, "Thái độ phục vụ"), "n_comments"] == 1
    assert c.loc[(2, "Dịch vụ công trực tuyến"), "n_comments"] == 1
    assert c.loc[(2, NO_THEME), "n_comments"] == 0
    assert len(c) == 2 * 6  # 5 themes + unthemed, per quarter


def test_examples_scrubbed_and_shortened(responses, themes):
    ex = theme_examples(responses, themes, year=2026, quarter=2)
    dvc = ex.loc[ex["theme"] == "Dịch vụ công trực tuyến", "example"].tolist()
    assert dvc == ["Nộp trên cổng dịch vụ công rất tiện, gọi [đã ẩn]"]
    assert "0912" not in ex.to_csv()
    assert ex.loc[ex["theme"] == "Thái độ phục vụ", "example"].tolist() == ["Thái độ chưa tốt"]
    assert shorten("một hai ba bốn", 9) == "một hai…"
    assert shorten("ngắn", 9) == "ngắn"
    assert theme_examples(responses, themes, n=1).groupby("theme").size().max() == 1


def test_theme_table_errors_and_shipped_table(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("theme,keyword\nThái độ,\n", encoding="utf-8")
    with pytest.raises(StructuralError, match="ô trống"):
        load_comment_themes(bad)
    bad.write_text("chu_de,tu_khoa\nA,b\n", encoding="utf-8")
    with pytest.raises(StructuralError, match="thiếu cột"):
        load_comment_themes(bad)
    shipped = load_comment_themes(DEFAULT_DATA_DIR / "raw" / "config" / "comment_themes.csv")
    r = pd.DataFrame(
        {
            "respondent_key": ["a"],
            "year": [2026],
            "quarter": [1],
            "channel": ["Trực tuyến"],
            "comment": ["Hồ sơ bị quá hạn, nộp trực tuyến khó"],
        }
    )
    assert sorted(tag_comments(r, shipped)["theme"]) == [
        "Dịch vụ công trực tuyến",
        "Thời gian giải quyết",
        "Thủ tục, giấy tờ",
    ]


def test_counts_from_the_tagged_table_count_each_comment_once(responses, themes):
    """The quarterly run tags once and hands the tagged table on. A comment with two themes is
    one comment in n_total (Q1: 4 comments, of which r0 and r1 have two themes each) and one
    in each of its themes (a regression: re-tagging the tagged rows counted r0 four times)."""
    tagged = tag_comments(responses, themes)
    assert len(tagged[tagged["quarter"] == 1]) == 6  # r0, r1: 2 rows each; r2, r3: NO_THEME
    c = theme_counts(responses, themes, tagged=tagged)
    pd.testing.assert_frame_equal(c, theme_counts(responses, themes))
    c = c.set_index(["quarter", "theme"])
    assert (c.xs(1)["n_total"] == 4).all() and c.loc[(1, "Thái độ phục vụ"), "n_comments"] == 1
    ex = theme_examples(responses, themes, year=2026, quarter=1, tagged=tagged)
    pd.testing.assert_frame_equal(ex, theme_examples(responses, themes, year=2026, quarter=1))
