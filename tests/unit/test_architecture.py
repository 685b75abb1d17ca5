"""The package's layering holds: no import cycle (function-level imports included), modules
stay small, notebooks and the CLI reach the analysis only through pipelines and report."""

from __future__ import annotations

import ast

from parlib.core.paths import PACKAGE_DIR

MAX_LINES = 500


def _module(path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in PACKAGE_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("parlib"):
                assert node.level == 0, f"{mod}: relative import"
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    graph[mod].add(sub if sub in files else node.module)
            elif isinstance(node, ast.Import):
                graph[mod].update(a.name for a in node.names if a.name in files)
    return {
        m: {t for t in ts if t in files and t != m and not m.startswith(t + ".")} for m, ts in graph.items()
    }


def test_no_import_cycle_anywhere():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(t) :] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_modules_stay_small():
    big = {
        _module(p): n
        for p in PACKAGE_DIR.rglob("*.py")
        if "generate" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}


def test_readers_never_import_analysis():
    graph = _graph()
    bad = {
        m: t
        for m, ts in graph.items()
        if m.startswith("parlib.ingest")
        for t in ts
        if t.startswith(("parlib.analysis", "parlib.pipelines", "parlib.report", "parlib.cli"))
    }
    assert bad == {}
