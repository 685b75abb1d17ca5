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
        'output_dir: str = ""  # nơi ghi Excel và summary.json (để trống: không ghi, chạy thử trong JupyterLab)',
        ["parameters", "remove_cell"],
    ),
    (
        "code",
        "from parlib.pipelines import Paths, annual, quarterly, rootcause\n"
        "from parlib.report import narrative\n"
        "from parlib.report.annual import (comparison_section, data_quality_section, methods_section,\n"
        "                                  province_section, title_section, write_outputs)\n"
        "from parlib.report.display import bullets, figure, show, table\n"
        "from parlib.report.figures import annual as plots_annual\n"
        "from parlib.report.rootcause_text import show_root_causes\n"
        "vt = narrative.to_vietnamese_table\n"
        "paths = Paths.from_args(data_dir or None)\n"
        "res = annual.build(year, paths, base_year=annual.resolve_base_year(paths, year, base_year), unit_name=unit_name)\n"
        "rc = rootcause.build(annual=res, quarterly=quarterly.build_latest(year, paths), paths=paths)",
        HIDE,
    ),
    ("code", "show(title_section(res))", []),
    (
        "md",
        "## 1. Kết luận chính\n\nCác nhận định dưới đây được sinh tự động từ số liệu của bảng điểm; "
        "mọi con số đều truy được về tệp và dòng gốc (xem mục «Chất lượng dữ liệu» và «Phương pháp»).",
    ),
    (
        "code",
        "show(bullets(narrative.annual_conclusions(res.summary, res.fields, res.top, res.stages, res.pareto)))",
        [],
    ),
    ("md", "## 2. Điểm theo lĩnh vực"),
    ("code", "figure(plots_annual.plot_fields(res.fields))", []),
    ("code", "show(table(vt(res.fields, 'field')))", []),
    (
        "md",
        "## 3. Điểm bị mất tập trung ở đâu\n\nBiểu đồ Pareto xếp các tiêu chí thành phần theo số điểm bị mất, "
        "từ nhiều đến ít; đường lũy kế cho biết bao nhiêu tiêu chí chiếm 80 % số điểm bị mất.",
    ),
    ("code", "figure(plots_annual.plot_pareto(res.pareto))", []),
    ("code", "show(table(vt(res.pareto, 'pareto'), max_rows=25))", []),
    (
        "md",
        "## 4. Điểm bị mất theo đơn vị chủ trì\n\nĐơn vị chủ trì theo phân công trong bộ tiêu chí "
        "(nguyên tắc «06 rõ»); đơn vị phối hợp được liệt kê kèm theo.",
    ),
    ("code", "figure(plots_annual.plot_loss_by_office(res.offices))", []),
    ("code", "show(table(vt(res.offices, 'office')))", []),
    (
        "md",
        "## 5. Tự đánh giá và thẩm định\n\nĐiểm bị mất được tách theo khâu: *chưa tự chấm đủ* (điểm tối đa − "
        "điểm tự đánh giá), *bị trừ khi thẩm định lần 1* (tự đánh giá − thẩm định lần 1), *gỡ lại sau giải trình* "
        "(thẩm định cuối cùng − lần 1) và phần *đo lường* (điều tra xã hội học, chỉ số 766, số liệu thống kê).",
    ),
    ("code", "figure(plots_annual.plot_stage_gap(res.fields))", []),
    ("code", "show(table(vt(res.stages, 'stage')))", []),
    ("code", "show(table(vt(res.top, 'top'), caption='Các tiêu chí thành phần mất nhiều điểm nhất'))", []),
    ("code", "province_section(res)", []),
    ("code", "comparison_section(res)", []),
    (
        "md",
        "## Nguyên nhân giảm điểm và đề xuất khắc phục\n\nMỗi nguyên nhân là một chuỗi bằng chứng: tiêu chí nào giảm, "
        "ở khâu nào, chỉ tiêu nào gắn với nó thay đổi ra sao (có vượt mức dao động ngẫu nhiên không), do cơ cấu hồ sơ hay "
        "do cách xử lý, phòng nào, nhiệm vụ nào của Kế hoạch, và việc cần làm. Xếp theo số điểm giải thích được; mối "
        "liên hệ thống kê là tương quan, chưa phải bằng chứng nhân quả.",
    ),
    ("code", "show_root_causes(rc)", []),
    (
        "md",
        "## Chất lượng dữ liệu\n\nMọi dòng của bảng điểm đều được tính: dùng, bỏ qua (tiêu đề, dòng trống, "
        "dòng cộng, dòng phương án chấm) hoặc loại (có lý do). Các vấn đề về nội dung được liệt kê dưới đây, "
        "kèm tệp, trang và ô Excel để kiểm tra lại.",
    ),
    ("code", "data_quality_section(res)", []),
    ("md", "## Phương pháp"),
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
        'output_dir: str = ""  # nơi ghi Excel và summary.json (để trống: không ghi)',
        ["parameters", "remove_cell"],
    ),
    (
        "code",
        "from parlib.pipelines import Paths, annual\n"
        "from parlib.report.annual import (comparison_section, compare_title_section, data_quality_section,\n"
        "                                  write_compare_outputs)\n"
        "from parlib.report.display import show\n"
        "res = annual.build(year, Paths.from_args(data_dir or None), base_year=base_year, unit_name=unit_name)",
        HIDE,
    ),
    ("code", "show(compare_title_section(res))", []),
    ("code", "comparison_section(res)", []),
    ("md", "## Chất lượng dữ liệu (năm so sánh)"),
    ("code", "data_quality_section(res)", []),
    ("code", "write_compare_outputs(res, output_dir)", HIDE),
]

QUARTERLY = [
    SETUP,
    (
        "code",
        "year: int = 2026  # năm\n"
        "quarter: int = 3  # quý (1 đến 4)\n"
        'unit_name: str = ""  # tên đơn vị (để trống: theo data/raw/config/unit.csv)\n'
        'data_dir: str = ""  # thư mục dữ liệu (để trống: data/ của dự án)\n'
        'output_dir: str = ""  # nơi ghi Excel và summary.json (để trống: không ghi)',
        ["parameters", "remove_cell"],
    ),
    (
        "code",
        "from parlib.pipelines import Paths, quarterly, rootcause\n"
        "from parlib.report import quarterly as rq\n"
        "from parlib.report import quarterly_sources as rqs\n"
        "from parlib.report.display import show\n"
        "from parlib.report.outlook import outlook_section\n"
        "from parlib.report.quarterly_outputs import write_outputs\n"
        "from parlib.report.rootcause_text import show_root_causes\n"
        "paths = Paths.from_args(data_dir or None)\n"
        "res = quarterly.build(year, quarter, paths, unit_name=unit_name)\n"
        "rc = rootcause.build(quarterly=res, paths=paths)",
        HIDE,
    ),
    ("code", "show(rq.title_section(res))", []),
    (
        "md",
        "## 1. Kết luận chính\n\nMỗi chỉ tiêu của Kế hoạch một dòng: ● xanh — đạt; ● vàng — có nguy cơ (thiếu dưới "
        "1 điểm %); ● đỏ — không đạt. Các nhận định sau đó được sinh tự động từ số liệu.",
    ),
    ("code", "rq.conclusions_section(res)", []),
    ("md", "## 2. Các chỉ tiêu chính trong quý"),
    ("code", "show(rq.kpi_cards(res))", []),
    (
        "md",
        "## 3. Diễn biến theo tháng\n\nĐường là tỷ lệ của từng tháng, dải màu là khoảng tin cậy 95 %, đường gạch "
        "chấm là mục tiêu của Kế hoạch.",
    ),
    ("code", "rq.trends_section(res)", []),
    (
        "md",
        "## 4. Thay đổi thực sự hay dao động ngẫu nhiên?\n\nBiểu đồ kiểm soát so mỗi tháng với mức của năm trước; "
        "điểm được đánh dấu là tín hiệu thay đổi thực sự. Biểu đồ phễu so các phòng với tỷ lệ chung: phòng nằm ngoài "
        "phễu khác biệt vượt mức dao động ngẫu nhiên.",
    ),
    ("code", "rq.control_section(res)", []),
    ("md", "## 5. Phòng và thủ tục cần chú ý"),
    ("code", "rq.offices_section(res)", []),
    (
        "md",
        "## 6. Điểm PAR INDEX có nguy cơ bị mất\n\nCác tiêu chí thành phần gắn với chỉ tiêu đo được, chấm theo quy "
        "tắc của bộ tiêu chí từ số liệu lũy kế đến hết quý.",
    ),
    ("code", "rq.points_section(res)", []),
    (
        "md",
        "## 7. Triển vọng đến 31/12: có đạt chỉ tiêu cả năm không, cần làm gì?\n\nVới nhịp lũy kế đến nay, khả năng "
        "đạt từng chỉ tiêu của Kế hoạch vào cuối năm, tỷ lệ tối thiểu cần đạt trong thời gian còn lại (toàn Sở và "
        "từng phòng) và điểm PAR INDEX dự kiến.",
    ),
    ("code", "outlook_section(res)", []),
    ("md", "## 8. Mức độ hài lòng của người dân, tổ chức"),
    ("code", "rqs.satisfaction_section(res)", []),
    ("md", "## 9. Phản ánh, kiến nghị"),
    ("code", "rqs.feedback_section(res)", []),
    ("md", "## 10. Bộ chỉ số phục vụ người dân, doanh nghiệp (766)"),
    ("code", "rqs.index766_section(res)", []),
    ("md", "## 11. Tiến độ các nhiệm vụ của Kế hoạch"),
    ("code", "rqs.tasks_section(res)", []),
    (
        "md",
        "## 12. Nguyên nhân và đề xuất khắc phục\n\nCác tiêu chí thành phần có nguy cơ mất điểm: chỉ tiêu nào, "
        "phòng nào, từ khi nào, do cơ cấu hồ sơ hay do cách xử lý, và việc cần làm — xếp theo số điểm giải thích được. "
        "Mối liên hệ thống kê là tương quan, chưa phải bằng chứng nhân quả.",
    ),
    ("code", "show_root_causes(rc)", []),
    (
        "md",
        "## Chất lượng dữ liệu\n\nMọi dòng của các tệp đầu vào đều được tính: dùng, bỏ qua hoặc loại (có lý do).",
    ),
    ("code", "rq.data_quality_section(res)", []),
    ("md", "## Phương pháp"),
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
