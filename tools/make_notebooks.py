"""Write the report notebooks in notebooks/ from the cell lists below.

The notebooks are thin (parameters, Vietnamese narrative, one parlib call per cell); this
script keeps their structure reviewable in one place. Run ``.venv/bin/python
tools/make_notebooks.py`` after editing; analysts may also edit the .ipynb files directly
(then update this script to match, or stop using it).

Cell markers: ("md", text) markdown; ("code", src, tags) code. Tags: ``parameters``;
``remove_cell`` (hidden in the HTML report: imports, computations, file writing).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
HIDE = ["remove_cell"]

SETUP = (
    "code",
    "%matplotlib inline\nfrom parlib.report.display import setup_notebook\nsetup_notebook()",
    HIDE,
)

ANNUAL = [
    SETUP,
    (
        "code",
        "from typing import Optional\n\n"
        "year: int = 2026  # năm đánh giá (bảng điểm data/raw/scoresheet/bang_diem_<năm>.xlsx)\n"
        "base_year: Optional[int] = None  # năm so sánh (để trống: năm trước nếu có đủ tệp; 0: không so sánh)\n"
        'unit_name: str = ""  # tên đơn vị (để trống: theo data/raw/config/unit.csv)\n'
        'data_dir: str = ""  # thư mục dữ liệu (để trống: data/ của dự án)\n'
        'output_dir: str = ""  # nơi ghi Excel và summary.json (để trống: không ghi, chạy thử trong JupyterLab)\n'
        'report_date: str = ""  # ngày lập báo cáo, dạng 2026-12-03 (để trống: hôm nay); hạn xử lý tính từ ngày này',
        ["parameters", "remove_cell"],
    ),
    (
        "code",
        "from parlib.pipelines import Paths, annual, quarterly, rootcause\n"
        "from parlib.report import leader, narrative\n"
        "from parlib.report.annual import (comparison_section, conclusions_section, data_quality_section,\n"
        "                                  detail_figures, levels_section, losses_section, methods_section,\n"
        "                                  province_section, title_section, write_outputs)\n"
        "from parlib.report.display import appendix_start, show, table\n"
        "from parlib.report.rootcause_text import show_root_causes\n"
        "vt = narrative.to_vietnamese_table\n"
        "paths = Paths.from_args(data_dir or None)\n"
        "res = annual.build(year, paths, base_year=annual.resolve_base_year(paths, year, base_year), unit_name=unit_name)\n"
        "rc = rootcause.build(annual=res, quarterly=quarterly.build_latest(year, paths), paths=paths,\n"
        "                     report_date=report_date or None)",
        HIDE,
    ),
    ("code", "show(title_section(res, report_date))", []),
    ("code", "show(leader.annual_summary(res, rc))", []),
    (
        "md",
        "## 1. Kết luận chính\n\nCác nhận định dưới đây được sinh tự động từ số liệu của bảng điểm; "
        "mọi con số đều truy được về tệp và dòng gốc (xem Phụ lục: «Chất lượng dữ liệu» và «Phương pháp»).",
    ),
    ("code", "conclusions_section(res)", []),
    ("code", "levels_section(res)", []),
    (
        "md",
        "## 3. Điểm bị mất tập trung ở đâu\n\nBiểu đồ Pareto xếp các nội dung được chấm điểm (cấp thấp nhất "
        "của bộ tiêu chí) theo số điểm bị mất, từ nhiều đến ít; đường lũy kế cho biết bao nhiêu nội dung chiếm "
        "80 % số điểm bị mất.",
    ),
    ("code", "losses_section(res)", []),
    (
        "md",
        "## 4. Theo đơn vị chủ trì và theo khâu\n\nĐơn vị chủ trì theo phân công trong bộ tiêu chí "
        "(nguyên tắc «06 rõ»). Điểm bị mất được tách theo khâu: *chưa tự chấm đủ*, *bị trừ khi thẩm định*, "
        "*gỡ lại sau giải trình* và phần *đo lường* (điều tra xã hội học, chỉ số 766, số liệu thống kê).",
    ),
    ("code", "show(table(vt(res.offices, 'office', brief=True)))", []),
    ("code", "show(table(vt(res.stages, 'stage')))", []),
    ("code", "province_section(res)", []),
    ("code", "comparison_section(res)", []),
    (
        "md",
        "## Nguyên nhân giảm điểm và việc cần làm\n\nMỗi tiêu chí thành phần bị giảm điểm so với năm trước một "
        "dòng: vì sao, phòng chủ trì, việc cần làm và hạn. Các dòng cộng lại đúng bằng mức thay đổi tổng điểm.",
    ),
    ("code", "show_root_causes(rc)", []),
    ("code", "show(appendix_start())", []),
    ("md", "### A. Thống kê của các nguyên nhân"),
    ("code", "show_root_causes(rc, part='appendix')", []),
    ("md", "### B. Biểu đồ và bảng chi tiết"),
    ("code", "detail_figures(res)", []),
    ("code", "comparison_section(res, part='appendix')", []),
    (
        "md",
        "### C. Chất lượng dữ liệu\n\nMọi dòng của bảng điểm đều được tính: dùng, bỏ qua (tiêu đề, dòng trống, "
        "dòng cộng, dòng phương án chấm) hoặc loại (có lý do).",
    ),
    ("code", "data_quality_section(res)", []),
    ("md", "### D. Phương pháp"),
    ("code", "methods_section(res)", []),
    ("code", "write_outputs(res, output_dir, rc)", HIDE),
]

COMPARE = [
    SETUP,
    (
        "code",
        "year: int = 2026  # năm so sánh\n"
        "base_year: int = 2025  # năm gốc\n"
        'unit_name: str = ""  # tên đơn vị (để trống: theo data/raw/config/unit.csv)\n'
        'data_dir: str = ""  # thư mục dữ liệu (để trống: data/ của dự án)\n'
        'output_dir: str = ""  # nơi ghi Excel và summary.json (để trống: không ghi)\n'
        'report_date: str = ""  # ngày lập báo cáo, dạng 2026-12-03 (để trống: hôm nay); hạn xử lý tính từ ngày này',
        ["parameters", "remove_cell"],
    ),
    (
        "code",
        "from parlib.pipelines import Paths, annual, quarterly, rootcause\n"
        "from parlib.report import leader\n"
        "from parlib.report.annual import (comparison_section, compare_title_section, data_quality_section,\n"
        "                                  write_compare_outputs)\n"
        "from parlib.report.display import appendix_start, show\n"
        "from parlib.report.rootcause_text import show_root_causes\n"
        "paths = Paths.from_args(data_dir or None)\n"
        "res = annual.build(year, paths, base_year=base_year, unit_name=unit_name)\n"
        "rc = rootcause.build(annual=res, quarterly=quarterly.build_latest(year, paths), paths=paths,\n"
        "                     report_date=report_date or None)",
        HIDE,
    ),
    ("code", "show(compare_title_section(res, report_date))", []),
    ("code", "show(leader.annual_summary(res, rc))", []),
    ("code", "comparison_section(res)", []),
    (
        "md",
        "## Nguyên nhân giảm điểm và việc cần làm\n\nMỗi tiêu chí thành phần bị giảm điểm một dòng: vì sao, phòng "
        "chủ trì, việc cần làm và hạn.",
    ),
    ("code", "show_root_causes(rc)", []),
    ("code", "show(appendix_start())", []),
    ("md", "### A. Thống kê của các nguyên nhân"),
    ("code", "show_root_causes(rc, part='appendix')", []),
    ("md", "### B. Chi tiết so sánh"),
    ("code", "comparison_section(res, part='appendix')", []),
    ("md", "### C. Chất lượng dữ liệu (năm so sánh)"),
    ("code", "data_quality_section(res)", []),
    ("code", "write_compare_outputs(res, output_dir, rc)", HIDE),
]

QUARTERLY = [
    SETUP,
    (
        "code",
        "year: int = 2026  # năm\n"
        "quarter: int = 3  # quý (1 đến 4)\n"
        'unit_name: str = ""  # tên đơn vị (để trống: theo data/raw/config/unit.csv)\n'
        'data_dir: str = ""  # thư mục dữ liệu (để trống: data/ của dự án)\n'
        'output_dir: str = ""  # nơi ghi Excel và summary.json (để trống: không ghi)\n'
        'report_date: str = ""  # ngày lập báo cáo, dạng 2026-12-03 (để trống: hôm nay); hạn xử lý tính từ ngày này',
        ["parameters", "remove_cell"],
    ),
    (
        "code",
        "from parlib.pipelines import Paths, quarterly, rootcause\n"
        "from parlib.report import leader\n"
        "from parlib.report import quarterly as rq\n"
        "from parlib.report import quarterly_sources as rqs\n"
        "from parlib.report.display import appendix_start, show\n"
        "from parlib.report.outlook import outlook_section\n"
        "from parlib.report.quarterly_outputs import write_outputs\n"
        "from parlib.report.rootcause_text import show_root_causes\n"
        "paths = Paths.from_args(data_dir or None)\n"
        "res = quarterly.build(year, quarter, paths, unit_name=unit_name)\n"
        "rq.draw_charts_ahead(res)  # the report's charts drawn on the second core (command line)\n"
        "rc = rootcause.build(quarterly=res, paths=paths, report_date=report_date or None)",
        HIDE,
    ),
    ("code", "show(rq.title_section(res, report_date))", []),
    ("code", "show(leader.quarterly_summary(res, rc))", []),
    (
        "md",
        "## 1. Kết quả trong quý\n\nCác nhận định được sinh tự động từ số liệu; mỗi so sánh nói rõ so với kỳ nào.",
    ),
    ("code", "show(rq.kpi_cards(res))", []),
    ("code", "rq.conclusions_section(res)", []),
    ("code", "rq.trends_section(res)", []),
    (
        "md",
        "## 2. Các phòng: so với mức của chính phòng\n\nMỗi phòng được so với các quý trước của năm và với "
        "cùng kỳ năm trước; phòng ít hồ sơ được ghi rõ «ít hồ sơ, chưa đủ để kết luận».",
    ),
    ("code", "rq.offices_section(res)", []),
    ("md", "## 3. Triển vọng đến 31/12"),
    ("code", "outlook_section(res)", []),
    ("md", "## 4. Mức độ hài lòng của người dân, tổ chức"),
    ("code", "rqs.satisfaction_section(res)", []),
    ("md", "## 5. Phản ánh, kiến nghị; Bộ chỉ số 766; nhiệm vụ của Kế hoạch"),
    ("code", "rqs.feedback_section(res)", []),
    ("code", "rqs.index766_section(res)", []),
    ("code", "rqs.tasks_section(res)", []),
    (
        "md",
        "## 6. Nguyên nhân và việc cần làm\n\nXếp theo mức độ chắc chắn (chỉ số xấu đi rõ rệt trước) rồi theo số "
        "điểm có thể mất đến cuối năm nếu giữ nhịp của quý này.",
    ),
    ("code", "show_root_causes(rc)", []),
    ("code", "show(appendix_start())", []),
    ("md", "### A. Thống kê của các nguyên nhân"),
    ("code", "show_root_causes(rc, part='appendix')", []),
    ("md", "### B. Biểu đồ kiểm soát và khảo sát"),
    ("code", "rq.control_section(res)", []),
    ("code", "rqs.satisfaction_section(res, part='appendix')", []),
    (
        "md",
        "Chi tiết khác trong tệp Excel kèm theo: các phòng lũy kế, thủ tục trễ hạn nhiều nhất, thời gian giải "
        "quyết, triển vọng theo phòng, điểm dự kiến, điểm 766 theo nhóm, tiến độ từng nhiệm vụ, hài lòng theo "
        "yếu tố và kênh của quý và lũy kế, số ý kiến theo chủ đề và mọi ý kiến tiêu biểu, PAKN theo phòng.",
    ),
    (
        "md",
        "### C. Chất lượng dữ liệu\n\nMọi dòng của các tệp đầu vào đều được tính: dùng, bỏ qua hoặc loại (có lý do).",
    ),
    ("code", "rq.data_quality_section(res)", []),
    ("md", "### D. Phương pháp"),
    ("code", "rq.methods_section(res)", []),
    ("code", "write_outputs(res, output_dir, rc)", HIDE),
]


def build(cells: list[tuple], title: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    for spec in cells:
        if spec[0] == "md":
            nb.cells.append(new_markdown_cell(spec[1]))
        else:
            c = new_code_cell(spec[1])
            if spec[2]:
                c.metadata["tags"] = list(spec[2])
            nb.cells.append(c)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["title"] = title
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:02d}"
    return nb


NOTEBOOKS = {
    "annual.ipynb": (ANNUAL, "Phân tích Chỉ số CCHC (PAR INDEX) năm"),
    "compare.ipynb": (COMPARE, "So sánh Chỉ số CCHC giữa hai năm"),
    "quarterly.ipynb": (QUARTERLY, "Theo dõi CCHC và SIPAS hằng quý"),
}


def main() -> None:
    for name, (cells, title) in NOTEBOOKS.items():
        nbformat.write(build(cells, title), str(NB_DIR / name))
        print("wrote", NB_DIR / name)


if __name__ == "__main__":
    main()
