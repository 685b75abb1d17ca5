"""Parse cache: a raw file is parsed once and its parsed copy reused while its bytes are unchanged.

``cached(kind, path, reader, cache_dir=...)`` returns ``reader(path)`` — a DataFrame or a dict
of DataFrames — either by calling the reader or by loading the copy stored the last time the
same reader parsed the same bytes. Parsed copies are Parquet files under
``data/processed/.cache/<kind>/`` (disposable, like everything outside ``data/raw``).

Rules implemented
    * Key: SHA-256 of the file's bytes + parlib version + a fingerprint of the source code of the
      reader's module and every parlib module it imports (the whole package for a reader outside
      parlib) + the reader's qualified name + ``extra`` (whatever else the result depends on, e.g. the
      file's display name or a catalogue checksum) + the cache format. A copy is only ever
      used for identical bytes read by identical code; any edit of the raw file or of the code
      that parses it makes a new key (the old copy is then removed as stale).
    * The file is read once (``parlib.core.io.held_input``): the key's hash is of the bytes the
      reader then parses, so a file replaced meanwhile (a file being copied in) can never
      store one version's parse under the other's hash.
    * A file is not even read when its size, modification time, change time and inode are
      those recorded with a stored copy (taken before that copy's read): the copy's hash is
      then the file's (any write changes the change time, which ``touch`` and copy tools
      cannot set back; a file modified less than 2 s before that read is not trusted this
      way, as git does for "racy" entries), recorded as this run's read of the file
      (``parlib.core.io.note_unchanged_input``). Hashing a million rows of exports cost 0,7 s
      of every build; only new or touched files are read and hashed.
    * Writes are atomic (``parlib.io.atomic_path``): every part first, the small JSON index
      last. A copy whose index or parts are missing, unreadable or inconsistent is ignored
      and the file is parsed again (never a crash, never a partial copy).
    * Frames must be Parquet-safe (typed columns; no mixed Python objects): a frame that
      Parquet cannot store is returned uncached rather than stored lossy. ``DataFrame.attrs``
      are kept in the index (JSON-serialisable attrs only).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Union

from parlib import __version__
from parlib.core.io import atomic_path, held_input, note_unchanged_input, stat_key, write_json
from parlib.core.paths import PACKAGE_DIR

if TYPE_CHECKING:  # pandas and pyarrow are imported where used (a reused report's run stays light)
    import pandas as pd

Parsed = Union["pd.DataFrame", dict[str, "pd.DataFrame"]]
CACHE_FORMAT = 1
_SINGLE = "__frame__"
_FINGERPRINTS: dict[str, str] = {}
RACY_NS = 2_000_000_000  # files modified less than 2 s before their read keep being hashed
STATS = {"hits": 0, "misses": 0, "unread": 0}  # per process; read by the benchmark and the tests


def code_fingerprint(module: str | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the source of parlib module ``module`` and of every parlib
    module it imports, directly or not (found by reading the import statements); of the whole
    package when ``module`` is None or not a parlib module. Computed once per module."""
    key = module if module and (module == "parlib" or module.startswith("parlib.")) else ""
    if key not in _FINGERPRINTS:
        files = sorted(PACKAGE_DIR.rglob("*.py")) if not key else _closure(key)
        h = hashlib.sha256()
        for p in files:
            h.update(p.relative_to(PACKAGE_DIR).as_posix().encode())
            h.update(p.read_bytes())
        _FINGERPRINTS[key] = h.hexdigest()[:16]
    return _FINGERPRINTS[key]


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    if not parts:
        return PACKAGE_DIR / "__init__.py"
    rel = Path(*parts)
    for p in (PACKAGE_DIR / rel.with_suffix(".py"), PACKAGE_DIR / rel / "__init__.py"):
        if p.is_file():
            return p
    return None


# import statements, found in the text (the whole module parsed by ``ast`` cost 0,1 s a run);
# text that only looks like one (in a docstring) adds a file to the fingerprint, never removes one.
# Comments are removed first; a form the pattern does not read (two statements on a line, an
# import after a colon, a continued line, ``import(``) sends the file to ``ast`` instead.
_IMPORT_RE = re.compile(
    r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n;]*)|^[ \t]*import[ \t]+([^\n;]*)",
    re.MULTILINE,
)
_COMMENT_RE = re.compile(r"#[^\n]*")
_UNREAD_RE = re.compile(r"[;:][ \t]*(?:from[ \t]+\S+[ \t]+)?import\b|\\\n|\bimport\(")


def _imports(path: Path, package: str) -> list[str]:
    """The parlib modules a source file imports (``from . import kpi`` names both the package and
    the module: either may be the one)."""
    text = _COMMENT_RE.sub("", path.read_text(encoding="utf-8"))
    if _UNREAD_RE.search(text):
        return _imports_by_ast(path, package)
    out = []
    for dots, module, names, plain in _IMPORT_RE.findall(text):
        if not dots and not module:  # a plain import statement
            out.extend(n.split()[0] for n in plain.split(",") if n.strip().startswith("parlib."))
        else:
            out.extend(_from_import(package, len(dots), module, names.strip().strip("()").split(",")))
    return out


def _from_import(package: str, level: int, module: str, names: list[str]) -> list[str]:
    """``from <level dots><module> import <names>`` in ``package``: the parlib module and the
    modules its names may be."""
    if level:
        base = package.rsplit(".", level - 1)[0] if level > 1 else package
        target = f"{base}.{module}" if module else base
    else:
        target = module
    if not (target == "parlib" or target.startswith("parlib.")):
        return []
    return [target, *(f"{target}.{n.split()[0]}" for n in names if n.strip())]


def _imports_by_ast(path: Path, package: str) -> list[str]:
    """What :func:`_imports` finds, from the parsed module (every form of import statement)."""
    import ast

    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            out.extend(_from_import(package, node.level, node.module or "", [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names if a.name.startswith("parlib."))
    return out


def _closure(module: str) -> list[Path]:
    """Source files of ``module`` and of the parlib modules it imports, transitively."""
    seen: dict[str, Path] = {}
    todo = [module, "parlib"]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo.extend(_imports(path, name if path.name == "__init__.py" else name.rsplit(".", 1)[0]))
    return sorted(set(seen.values()))


def reader_name(reader: Callable) -> str:
    """``module.qualname`` of a reader (functools.partial: of the wrapped function)."""
    func = getattr(reader, "func", reader)
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', type(func).__name__)}"


def _reader_module(reader: Callable) -> str:
    return getattr(getattr(reader, "func", reader), "__module__", "") or ""


def cache_key(kind: str, file_sha256: str, reader: Callable, extra: str = "") -> str:
    """Hex key of a parsed copy (see the module docstring for what it covers)."""
    payload = json.dumps(
        {
            "format": CACHE_FORMAT,
            "kind": kind,
            "sha256": file_sha256,
            "version": __version__,
            "code": code_fingerprint(_reader_module(reader)),
            "reader": reader_name(reader),
            "extra": extra,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def cached(
    kind: str, path: str | Path, reader: Callable[[Path], Parsed], *, cache_dir: str | Path, extra: str = ""
) -> Parsed:
    """``reader(path)``, from the parse cache when the same reader already parsed these bytes.

    ``kind`` names the sub-folder (``dossiers``, ``survey`` …; ASCII); ``reader`` takes the
    path and returns a DataFrame or a dict ``name -> DataFrame``; ``extra`` is added to the key.
    Returns what the reader returns (a fresh copy: mutating it never touches the cache).
    Raises whatever the reader raises (errors are never cached).
    """
    path = Path(path)
    folder = Path(cache_dir) / kind
    st = path.stat()  # taken before the read: a write after it changes the times again
    stat = stat_key(st)
    known = _unchanged_sha256(folder, str(path.resolve()), stat)
    tried = None
    if known is not None:  # same size and times as the file the stored copy was parsed from
        tried = cache_key(kind, known, reader, extra)
        hit = _load(folder, tried)
        if hit is not None:
            STATS["hits"] += 1
            STATS["unread"] += 1
            note_unchanged_input(path, known, st.st_size)
            return hit
    with held_input(path) as (_data, before):  # read once: the reader parses the bytes hashed here
        key = cache_key(kind, before, reader, extra)
        hit = _load(folder, key) if key != tried else None  # a copy found unusable is not read twice
        if hit is not None:
            STATS["hits"] += 1
            return hit
        STATS["misses"] += 1
        result = reader(path)
        _store(
            folder,
            key,
            result,
            {
                "kind": kind,
                "source": str(path.resolve()),
                "sha256": before,
                # a file written in the last seconds may be rewritten within the same timestamp
                # tick (coarse clocks, network shares): its stat is not trusted (git's "racy clean")
                "stat": stat if time.time_ns() - st.st_mtime_ns > RACY_NS else None,
                "reader": reader_name(reader),
                "version": __version__,
                "code": code_fingerprint(_reader_module(reader)),
                "extra": extra,
            },
        )
    return result


def has_unchanged_copy(kind: str, path: str | Path, cache_dir: str | Path) -> bool:
    """Whether a parsed copy of ``path`` was stored from a file of the same size and times (a
    cheap look before deciding where to parse it; :func:`cached` still checks the whole key)."""
    path = Path(path)
    return _unchanged_sha256(Path(cache_dir) / kind, str(path.resolve()), stat_key(path.stat())) is not None


def _indexes(folder: Path, source: str):
    """(index path, metadata) of every readable stored copy of ``source`` in ``folder`` (a
    damaged index is skipped: it only loses a shortcut, the file is parsed again)."""
    for index_path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            meta = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("source") == source:
            yield index_path, meta


def _unchanged_sha256(folder: Path, source: str, stat: list[int]) -> str | None:
    """The SHA-256 a stored copy of ``source`` was parsed from, when the file's size,
    modification time, change time and inode are still those recorded then; else None."""
    for _path, meta in _indexes(folder, source):
        if meta.get("stat") == stat:
            sha = meta.get("sha256")
            return sha if isinstance(sha, str) else None
    return None


def _frames(result: Parsed) -> dict[str, pd.DataFrame]:
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return {_SINGLE: result}
    if isinstance(result, dict) and all(isinstance(v, pd.DataFrame) for v in result.values()):
        return dict(result)
    raise TypeError(f"a cached reader must return a DataFrame or a dict of DataFrames, not {type(result)}")


def _part_path(folder: Path, key: str, i: int) -> Path:
    return folder / f"{key}.{i}.parquet"


def _load(folder: Path, key: str) -> Parsed | None:
    """The stored copy, or None when absent or unusable (corrupt, partial, inconsistent)."""
    import pandas as pd
    import pyarrow as pa

    index_path = folder / f"{key}.json"
    if not index_path.is_file():
        return None
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        out = {}
        for i, part in enumerate(index["parts"]):
            # one block per column: no consolidating copy (a parsed export of three million
            # rows: 0,2 s instead of 0,7–1,6 s); the frame's values are the same
            df = pd.read_parquet(_part_path(folder, key, i), to_pandas_kwargs={"split_blocks": True})
            if len(df) != part["rows"] or [str(c) for c in df.columns] != part["columns"]:
                return None
            df.attrs = part.get("attrs", {})
            out[part["name"]] = df
    except (OSError, ValueError, KeyError, TypeError, IndexError, pa.ArrowException) as exc:
        # A damaged copy is only a lost shortcut: say so and parse the file again.
        print(
            f"parlib.cache: bỏ qua bản phân tích lưu sẵn bị hỏng {index_path.name} ({type(exc).__name__})",
            file=sys.stderr,
        )
        return None
    return out[_SINGLE] if index.get("single") else out


def _json_attrs(attrs: dict) -> dict | None:
    try:
        json.dumps(attrs)
    except (TypeError, ValueError):
        return None
    return attrs


def _store(folder: Path, key: str, result: Parsed, meta: dict) -> None:
    import pandas as pd
    import pyarrow as pa

    frames = _frames(result)
    parts = []
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, df) in enumerate(frames.items()):
        attrs = _json_attrs(dict(df.attrs))
        if attrs is None:  # attrs we cannot store: do not keep a lossy copy
            _drop_parts(folder, key)
            return
        try:
            with atomic_path(_part_path(folder, key, i)) as tmp:
                df.to_parquet(tmp, index=True)
        except (ValueError, TypeError, pa.ArrowException) as exc:  # mixed object columns
            print(
                f"parlib.cache: không lưu được bản phân tích ({name}: {type(exc).__name__})", file=sys.stderr
            )
            _drop_parts(folder, key)
            return
        parts.append(
            {"name": name, "rows": int(len(df)), "columns": [str(c) for c in df.columns], "attrs": attrs}
        )
    _prune_stale(folder, key, meta["source"])
    write_json(
        folder / f"{key}.json",
        {**meta, "key": key, "single": isinstance(result, pd.DataFrame), "parts": parts},
    )


def _prune_stale(folder: Path, key: str, source: str) -> None:
    """Remove older copies of the same source file (other keys): they can never be hit again
    unless the file returns to old bytes, and a province-size copy is large."""
    for index_path, _meta in list(_indexes(folder, source)):
        if index_path.stem != key:
            index_path.unlink(missing_ok=True)
            _drop_parts(folder, index_path.stem)


def _drop_parts(folder: Path, key: str) -> None:
    for part in folder.glob(f"{key}.*.parquet"):
        part.unlink(missing_ok=True)
