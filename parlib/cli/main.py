"""The ``parlib`` command: everything a user does, in one process.

    parlib annual --year 2026 [--base 2025]      annual scorecard report (+ comparison)
    parlib quarterly --year 2026 --quarter 3     quarterly monitoring report
    parlib compare --base 2025 --year 2026       year-over-year comparison report
    parlib periodic [--year 2026 --window q3]    Word draft of the periodic CCHC report
    parlib validate PATH                         check one raw file, list what is wrong
    parlib generate [--scenario FILE]            regenerate the synthetic sample data
    parlib all                                   the default reports on the bundled data

``parlib --version`` prints the version; ``-q`` keeps only warnings, errors and results, ``-v``
adds detail. Progress goes to standard error, results (report paths, validation tables) to
standard output. Every subcommand takes ``--data DIR`` (default: the project's ``data/``) and ``--out DIR``
(default: ``reports/``). A report whose raw inputs, code, parameters and published files are
unchanged since it was last built is reused, not rebuilt; ``--force`` (annual, quarterly,
compare, all) rebuilds it anyway. Exit status: 0 success; 1 ``validate`` found errors in the file;
2 a parlib error (Vietnamese message, no traceback); 3 an unexpected error (traceback shown,
so it can be reported).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import sys
import time
import traceback

from parlib import __version__
from parlib.core.errors import ParlibError
from parlib.core.log import progress, set_verbosity
from parlib.core.paths import Paths


def _integer(text: str) -> int:
    return int(text)


_integer.__name__ = "số nguyên"  # argparse names the type in its error message


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", metavar="DIR", help="thư mục dữ liệu (mặc định: data/ của dự án)")
    p.add_argument("--out", metavar="DIR", help="thư mục báo cáo (mặc định: reports/)")


def _unit(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--unit",
        metavar="TÊN_ĐƠN_VỊ",
        help="tên đơn vị được chấm điểm (mặc định: khai báo trong data/raw/config/unit.csv)",
    )


def _date(text: str) -> str:
    """A report date given as 2026-12-03 or 03/12/2026, returned as 2026-12-03."""
    import datetime as dt

    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"ngày «{text}» không hợp lệ (dạng 2026-12-03 hoặc 03/12/2026)")


_date.__name__ = "ngày"


def _report_date(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--report-date",
        type=_date,
        metavar="NGÀY",
        help="ngày lập báo cáo (mặc định: hôm nay); hạn của các việc cần làm tính từ ngày này",
    )


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="lập lại báo cáo kể cả khi dữ liệu, mã nguồn và tham số không đổi",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parlib", description="Sổ phân tích PAR INDEX và SIPAS.")
    parser.add_argument(
        "--version", action="version", version=f"parlib {__version__}", help="in phiên bản rồi thoát"
    )
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", help="chỉ in cảnh báo, lỗi và kết quả")
    loud.add_argument("-v", "--verbose", action="store_true", help="in thêm chi tiết từng bước")
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    p = sub.add_parser("annual", help="báo cáo phân tích điểm PAR INDEX của một năm")
    p.add_argument("--year", type=_integer, required=True, metavar="NĂM", help="năm đánh giá, ví dụ 2026")
    p.add_argument(
        "--base", type=_integer, metavar="NĂM_GỐC", help="năm so sánh (mặc định: năm trước nếu có dữ liệu)"
    )
    _unit(p)
    _report_date(p)
    _force(p)
    _common(p)

    p = sub.add_parser("quarterly", help="báo cáo theo dõi hằng quý")
    p.add_argument("--year", type=_integer, required=True, metavar="NĂM")
    p.add_argument("--quarter", type=_integer, choices=[1, 2, 3, 4], required=True, metavar="QUÝ")
    _unit(p)
    _report_date(p)
    _force(p)
    _common(p)

    p = sub.add_parser("compare", help="so sánh hai năm qua thay đổi bộ tiêu chí")
    p.add_argument("--base", type=_integer, required=True, metavar="NĂM_GỐC")
    p.add_argument("--year", type=_integer, required=True, metavar="NĂM")
    _unit(p)
    _report_date(p)
    _force(p)
    _common(p)

    p = sub.add_parser(
        "periodic",
        help="dự thảo báo cáo CCHC định kỳ gửi UBND tỉnh (tệp Word) theo kỳ số liệu chính thức",
        description="Lập dự thảo báo cáo kết quả thực hiện công tác CCHC (tệp .docx) và summary.json "
        "cho một kỳ báo cáo của data/raw/config/report_windows.csv (mặc định: kỳ gần nhất đã có đủ số liệu).",
    )
    p.add_argument("--year", type=_integer, metavar="NĂM", help="năm của kỳ báo cáo, ví dụ 2026")
    p.add_argument(
        "--window",
        metavar="KỲ",
        help="mã kỳ báo cáo trong report_windows.csv: q1, h1, q3, year (mặc định: kỳ gần nhất có đủ số liệu)",
    )
    _common(p)

    p = sub.add_parser("validate", help="kiểm tra một tệp dữ liệu đầu vào")
    p.add_argument("path", help="đường dẫn tệp cần kiểm tra")
    _common(p)

    p = sub.add_parser("generate", help="tạo lại bộ dữ liệu mẫu (tổng hợp) từ kịch bản")
    p.add_argument("--scenario", metavar="FILE", help="tệp kịch bản (mặc định: scenarios/default.toml)")
    p.add_argument("--annual-only", action="store_true", help="chỉ tạo bảng điểm và bảng kết quả toàn tỉnh")
    _common(p)

    p = sub.add_parser("all", help="các báo cáo mặc định trên dữ liệu mẫu")
    _report_date(p)
    _force(p)
    _common(p)
    return parser


_SOFTWARE_ERROR = (
    "\nLỖI KHÔNG MONG ĐỢI: đây là lỗi của phần mềm, không phải của dữ liệu. "
    "Vui lòng gửi toàn bộ thông báo trên cho nhóm phát triển."
)
_FAULTS = {
    errno.ENOSPC: "Ổ đĩa đã đầy khi ghi «{path}»: hãy giải phóng dung lượng rồi chạy lại.",
    errno.EDQUOT: "Đã hết hạn mức dung lượng khi ghi «{path}»: hãy giải phóng dung lượng rồi chạy lại.",
    errno.EACCES: "Không có quyền đọc/ghi «{path}»: hãy cấp quyền hoặc chọn thư mục khác (--data, --out).",
    errno.EPERM: "Không được phép thao tác trên «{path}»: hãy cấp quyền hoặc chọn thư mục khác (--data, --out).",
    errno.EROFS: "«{path}» nằm trên ổ chỉ đọc: hãy chọn thư mục ghi được (--out).",
    errno.ELOOP: "Đường dẫn «{path}» là một vòng lặp liên kết (symlink trỏ về chính nó): hãy sửa liên kết.",
    errno.ENOTDIR: "«{path}» là một tệp, không phải thư mục: hãy đổi tên tệp hoặc chọn thư mục khác.",
    errno.EISDIR: "«{path}» là một thư mục trùng tên với tệp cần ghi hoặc đọc: hãy đổi tên thư mục đó.",
    errno.EEXIST: "«{path}» đã tồn tại với kiểu khác (tệp/thư mục): hãy đổi tên hoặc xoá nó.",
    errno.ENAMETOOLONG: "Đường dẫn «{path}» quá dài: hãy chọn thư mục có đường dẫn ngắn hơn.",
}


def machine_fault(exc: OSError) -> str | None:
    """A Vietnamese message naming the path when ``exc`` is a fault of the machine or of the
    folders (full disk, no permission, read-only, symlink loop, a file where a folder should
    be …); None for any other OSError."""
    template = _FAULTS.get(exc.errno)
    if template is None:
        return None
    path = exc.filename or exc.filename2 or "?"
    return template.format(path=path)


def _paths(args) -> Paths:
    """Paths of the run; a symlink loop in --data/--out is the machine's problem (OSError)."""
    try:
        return Paths.from_args(args.data, args.out)
    except RuntimeError as exc:  # pathlib.resolve() reports a symlink loop this way (Python 3.11)
        if "Symlink loop" not in str(exc):
            raise
        raise OSError(
            errno.ELOOP, "Too many levels of symbolic links", str(exc).split("from ", 1)[-1].strip("'")
        ) from exc


# argparse's own words, in Vietnamese (looked up while parsing and printing help)
ARGPARSE_VI = {
    "usage: ": "Cách dùng: ",
    "positional arguments": "lệnh và tham số",
    "options": "tùy chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "giá trị %(value)r không hợp lệ (chọn một trong: %(choices)s)",
    "invalid %(type)s value: %(value)r": "giá trị %(value)r không hợp lệ (cần kiểu %(type)s)",
    "unrecognized arguments: %s": "không nhận ra tham số: %s",
    "expected one argument": "cần một giá trị",
    "not allowed with argument %s": "không dùng cùng với %s",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn %(option)s chưa rõ, có thể là %(matches)s",
}


@contextlib.contextmanager
def _vietnamese_argparse():
    """argparse speaks Vietnamese while the command line is parsed (restored afterwards, so
    a program that imports parlib keeps its own)."""
    english = argparse._
    argparse._ = lambda s: ARGPARSE_VI.get(s, english(s))
    try:
        yield
    finally:
        argparse._ = english


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with Vietnamese usage, help and error messages (exit status 2)."""
    with _vietnamese_argparse():
        return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    set_verbosity(-1 if args.quiet else 1 if args.verbose else 0)
    started = time.perf_counter()
    try:
        paths = _paths(args)
        from parlib.cli import commands

        code = getattr(commands, f"cmd_{args.command}")(args, paths)
    except ParlibError as exc:
        print(f"\nLỖI: {exc}", file=sys.stderr)
        print("Không có báo cáo nào bị ghi dở; báo cáo cũ (nếu có) được giữ nguyên.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nĐã dừng theo yêu cầu; không có báo cáo nào bị ghi dở.", file=sys.stderr)
        return 130
    except OSError as exc:
        message = machine_fault(exc)
        if message is None:  # not a fault of the machine or of the folders: a software error
            traceback.print_exc()
            print(_SOFTWARE_ERROR, file=sys.stderr)
            return 3
        print(f"\nLỖI: {message}", file=sys.stderr)
        print("Không có báo cáo nào bị ghi dở; báo cáo cũ (nếu có) được giữ nguyên.", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print(_SOFTWARE_ERROR, file=sys.stderr)
        return 3
    # Vietnamese decimal comma without importing pandas (a reused report's run stays light)
    progress(f"Hoàn thành sau {time.perf_counter() - started:.1f} giây.".replace(".", ",", 1))
    return code


def run() -> None:
    """The ``parlib`` command: :func:`main`, then the process ends as soon as its output is
    flushed. Every file a command writes is written, closed and published (or removed) before
    :func:`main` returns, and its helper processes have ended; what the interpreter's teardown
    would still do — free the frames and modules of the analysis, 0,15–0,2 s after a report — is
    of no use to anyone (``os._exit``, as command-line tools that exit after heavy work do)."""
    code = main()
    if "multiprocessing" in sys.modules:  # what its exit handler would do: no helper left behind
        import multiprocessing

        for child in multiprocessing.active_children():  # (an interrupt while one was awaited)
            child.terminate()
            child.join()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
