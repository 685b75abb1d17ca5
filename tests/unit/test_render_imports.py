"""The report runner keeps jsonschema's optional IRI checker out (a 2 s grammar compile at
import) and notebooks still validate."""

import subprocess
import sys


def test_nbformat_validates_without_the_iri_checker():
    code = (
        "import sys, time\n"
        "from parlib.report.render import _without_iri_checker\n"
        "_without_iri_checker()\n"
        "t = time.perf_counter()\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.v4.new_notebook()\n"
        "bad['cells'] = [{'cell_type': 'code'}]\n"
        "try:\n"
        "    nbformat.validate(bad)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid notebook refused')\n"
        "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["invalid notebook refused", "True"]


def test_the_command_line_starts_a_quarterly_run_without_the_analysis_modules():
    """What the command line imports before the notebook's kernel starts (the checks, the
    parse cache warmed on the second core, the report runner) leaves scipy, statsmodels,
    DuckDB and the analysis out: the kernel imports them; here they cost about a second."""
    code = (
        "import sys\n"
        "import parlib.cli.commands, parlib.pipelines.inputs, parlib.report.render\n"
        "heavy = ('scipy', 'statsmodels', 'duckdb', 'matplotlib', 'parlib.analysis')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
