"""The house stays in order: imports point down the layers, no module is too big.

An AST walk over every module of ``autovec`` (imports inside functions included, relative
imports resolved) builds the import graph, and fails on

- an import against the engine's order (``errors``/``tree``/``backends`` < ``core`` < ``ir``
  < ``prims`` < ``interpreters`` < ``numpy`` < ``testing``; ``autovec/__init__.py`` is the
  face, on top);
- an import against the order inside ``autovec.numpy``, read from the table in the docstring
  of ``autovec/numpy/__init__.py`` (the one place it is written down);
- a module importing the face (``__init__``) of the package it belongs to;
- a cycle, whatever the layers.

``python tests/test_layers.py`` prints the module sizes in code lines and the graph's cycles.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autovec"

# The engine's layers, lowest first (docs: /DESIGN.md "Layers").  A module not listed takes
# the rank of the first listed prefix of its name.
ENGINE_ORDER: list[tuple[str, ...]] = [
    ("autovec.errors", "autovec.tree", "autovec.torch_namespace"),
    ("autovec.backends", "autovec.parallel"),
    ("autovec.core",),
    ("autovec.ir",),
    ("autovec.prims",),
    ("autovec.interpreters",),
    ("autovec.numpy",),
    ("autovec.testing",),
    ("autovec",),  # the face
]

# A module's size budget in code lines (no blank, comment or docstring lines), and the
# modules allowed over it for now, each with its ceiling.
MAX_CODE_LINES = 450
OVER_BUDGET: dict[str, int] = {}

_LAYER_LINE = re.compile(r"^ {4}(\d+) {2}(.*)$")


# ------------------------------------------------------------------------- the graph


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str, known: dict[str, Path]) -> bool:
    return name in known and known[name].name == "__init__.py"


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """The ``autovec`` modules ``name`` imports, with line numbers, at any depth of the
    file.  ``from P import x`` counts as importing ``P.x`` when that is a module, else ``P``
    (its face)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if _is_package(name, known) else name.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.append((sub if sub in known else source, node.lineno))
    return [(m, line) for m, line in found if m == "autovec" or m.startswith("autovec.")]


def graph() -> dict[str, list[tuple[str, int]]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


# ------------------------------------------------------------------------ the orders


def engine_rank(name: str) -> int:
    for rank, prefixes in enumerate(ENGINE_ORDER):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{name} has no place in ENGINE_ORDER (tests/test_layers.py)")


def numpy_layers() -> dict[str, tuple[int, str]]:
    """``autovec.numpy`` module -> (rank, the layer's first line), from the table in the
    docstring of ``autovec/numpy/__init__.py``: ``    <rank>  <module>, <module>: <what>``,
    the module list and the text running on over lines indented by seven spaces."""
    doc = ast.get_docstring(ast.parse((PACKAGE / "numpy" / "__init__.py").read_text())) or ""
    rows: list[tuple[int, str, str]] = []
    for line in doc.splitlines():
        m = _LAYER_LINE.match(line)
        if m:
            rows.append((int(m.group(1)), line.strip(), m.group(2)))
        elif rows and line.startswith(" " * 7) and line.strip():
            rank, first, text = rows[-1]
            rows[-1] = (rank, first, text + " " + line.strip())
    table: dict[str, tuple[int, str]] = {}
    for rank, first, text in rows:
        for mod in text.partition(":")[0].replace(",", " ").split():
            table["autovec.numpy" + ("" if mod == "__init__" else "." + mod)] = (rank, first)
    return table


def violations() -> list[str]:
    known = modules()
    layers = numpy_layers()
    out = []
    for name, targets in graph().items():
        where = known[name].relative_to(ROOT)
        for target, line in targets:
            if target == name:
                continue
            edge = f"{where}:{line}: {name} imports {target}"
            face_of = name.rpartition(".")[0] if not _is_package(name, known) else None
            if face_of and _is_package(face_of, known) and target == face_of:
                out.append(f"{edge}: the face of its own package (import the module instead)")
                continue
            if _is_package(name, known) and target.startswith(name + "."):
                continue  # a face gathers its own package
            r_from, r_to = engine_rank(name), engine_rank(target)
            if r_to > r_from:
                out.append(
                    f"{edge}: against the engine's order ({ENGINE_ORDER[r_from][0]} < "
                    f"{ENGINE_ORDER[r_to][0]}); see tests/test_layers.py ENGINE_ORDER"
                )
                continue
            if name.startswith("autovec.numpy") and target.startswith("autovec.numpy"):
                if name not in layers or target not in layers:
                    continue  # reported by test_every_numpy_module_has_a_layer
                a, (b, lb) = layers[name][0], layers[target]
                if b > a:
                    out.append(
                        f"{edge}: against the order of autovec/numpy/__init__.py "
                        f"(layer {a} imports layer {b}: '{lb}')"
                    )
    return sorted(set(out))


def cycles() -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each with
    one cycle through it spelled out."""
    edges = {n: sorted({t for t, _ in ts if t != n}) for n, ts in graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return comps


def _one_cycle(comp: list[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first)."""
    edges = {n: [t for t, _ in ts if t in comp and t != n] for n, ts in graph().items()}
    start = comp[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in edges[v]:
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return comp


# ------------------------------------------------------------------------------ sizes


def code_lines(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    source = path.read_text()
    doc_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    code: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        code.update(range(tok.start[0], tok.end[0] + 1))
    return len(code - doc_lines)


def sizes() -> dict[str, int]:
    return {str(p.relative_to(ROOT)): code_lines(p) for p in modules().values()}


# ------------------------------------------------------------------------------ tests


def test_every_numpy_module_has_a_layer():
    layers = numpy_layers()
    missing = sorted(n for n in modules() if n.startswith("autovec.numpy") and n not in layers)
    assert not missing, (
        f"{missing}: not in the layer table of autovec/numpy/__init__.py's docstring; add "
        f"each to the layer it belongs to"
    )
    stale = sorted(n for n in layers if n not in modules())
    assert not stale, f"the layer table of autovec/numpy/__init__.py names no module {stale}"


def test_imports_point_down():
    bad = violations()
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_no_import_cycle():
    found = cycles()
    assert not found, "import cycles (function-level imports included):\n" + "\n".join(
        " -> ".join(_one_cycle(c)) + f"   (component of {len(c)} modules)" for c in found
    )


def test_modules_stay_small():
    """Every module of ``autovec.numpy`` and ``autovec.interpreters`` holds one subject, in
    at most ``MAX_CODE_LINES`` code lines (``python tests/test_layers.py`` prints every
    module's size, the engine's too).  The face of ``autovec.numpy`` is exempt: its lines
    are the explicit list of the names it re-exports, so that IDEs and type checkers see
    each one."""
    big = {
        path: n
        for path, n in sizes().items()
        if path.startswith(("autovec/numpy/", "autovec/interpreters/"))
        and path != "autovec/numpy/__init__.py"
        and n > OVER_BUDGET.get(path, MAX_CODE_LINES)
    }
    assert not big, (
        f"modules over {MAX_CODE_LINES} code lines: {big}. Split by subject (NumPy's "
        f"sections), or give the module a ceiling in OVER_BUDGET with the reason."
    )


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    """The walk would miss nothing that matters: an import inside a function, a relative
    import and a ``from package import module`` each give their edge."""
    pkg = tmp_path / "autovec"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "low.py").write_text("def f():\n    from . import high\n")
    (pkg / "sub" / "high.py").write_text("from autovec.sub import low\nimport autovec.sub\n")
    known = {module_name_in(tmp_path, p): p for p in pkg.rglob("*.py")}
    low = imports_of("autovec.sub.low", pkg / "sub" / "low.py", known)
    high = imports_of("autovec.sub.high", pkg / "sub" / "high.py", known)
    assert low == [("autovec.sub.high", 2)]
    assert high == [("autovec.sub.low", 1), ("autovec.sub", 2)]


def module_name_in(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


if __name__ == "__main__":
    for path, n in sorted(sizes().items(), key=lambda kv: -kv[1]):
        print(f"{n:5d}  {path}")
    comps = cycles()
    print(f"\n{len(comps)} import cycle component(s)")
    for comp in comps:
        print(f"  {len(comp)} modules: " + " -> ".join(_one_cycle(comp)))
        print(f"     {comp}")
    for v in violations():
        print(v)
