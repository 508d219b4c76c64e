"""Every public name is written down where IDEs and type checkers can read it.

``autovec.numpy`` imports each function by name (no ``globals().update``), each module's
``__all__`` names only what the module binds itself, the ufuncs have one line each, the
package ships ``py.typed``, and ``dir(autovec)`` shows the public API only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import autovec
import autovec.numpy as anp
from autovec.numpy import ufuncs
from autovec.prims.elementwise import BINARY, MULTI, UNARY

ROOT = Path(__file__).resolve().parent.parent
NUMPY_DIR = ROOT / "autovec" / "numpy"


def _bound_at_top(path: Path) -> set[str]:
    """The names a module binds at its top level by a statement a reader (or a type checker)
    can see: def, class, assignment, import."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _declared_all(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return [ast.literal_eval(e) for e in node.value.elts]
    return None


def test_no_module_fills_its_namespace_dynamically():
    for path in sorted(NUMPY_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            call = node.func if isinstance(node, ast.Call) else None
            if (
                isinstance(call, ast.Attribute)
                and call.attr == "update"
                and isinstance(call.value, ast.Call)
                and getattr(call.value.func, "id", "") in ("globals", "vars", "locals")
            ):
                raise AssertionError(
                    f"{path.name}:{node.lineno}: names bound by {call.value.func.id}().update"
                )


def test_every_all_is_a_literal_of_names_bound_in_the_module():
    for path in sorted(NUMPY_DIR.glob("*.py")):
        declared = _declared_all(path)
        if declared is None:
            continue
        missing = sorted(set(declared) - _bound_at_top(path))
        assert not missing, f"{path.name}: __all__ names {missing}, which it does not bind"
        assert len(declared) == len(set(declared)), f"{path.name}: a name twice in __all__"


def test_the_face_imports_every_section_by_name():
    """Each module's public functions are in ``autovec.numpy.__all__`` and are the same
    objects there; the face binds every name of its ``__all__`` itself."""
    face = NUMPY_DIR / "__init__.py"
    assert set(anp.__all__) <= _bound_at_top(face), sorted(set(anp.__all__) - _bound_at_top(face))
    submodules = {"fft", "linalg", "_decompositions", "_norms", "indexing", "methods"}
    for path in sorted(NUMPY_DIR.glob("*.py")):
        name = path.stem
        declared = _declared_all(path)
        if name in submodules or name.startswith("__") or declared is None:
            continue
        module = __import__(f"autovec.numpy.{name}", fromlist=["_"])
        absent = sorted(set(declared) - set(anp.__all__))
        assert not absent, f"autovec.numpy.{name}.__all__ has {absent}, not in autovec.numpy"
        for n in declared:
            assert getattr(anp, n) is getattr(module, n), f"autovec.numpy.{n} is not {name}.{n}"
    assert set(anp.EXPORTED) <= set(anp.__all__)
    assert {"ndim", "shape", "size", "result_type", "iscomplexobj"} <= set(anp.EXPORTED)


def test_the_ufuncs_match_the_primitive_tables():
    """One line per ufunc in ``ufuncs.py``: the lines and the primitives' tables agree."""
    expected = (set(UNARY) | set(BINARY) | set(MULTI)) - {"real", "imag"}
    own = {n for n in ufuncs.UFUNCS if n not in ufuncs.ALIASES} - {"vecdot", "matvec", "vecmat"}
    assert own == expected, (sorted(expected - own), sorted(own - expected))
    bound = _bound_at_top(NUMPY_DIR / "ufuncs.py")
    for name, f in ufuncs.UFUNCS.items():
        if name in ("vecdot", "matvec", "vecmat"):  # gufuncs, registered by products.py
            continue
        assert name in bound and getattr(ufuncs, name) is f, name
    for alias, target in ufuncs.ALIASES.items():
        assert getattr(ufuncs, alias) is getattr(ufuncs, target), alias


def test_dir_of_autovec_is_its_public_api():
    public = [n for n in dir(autovec) if not n.startswith("__")]
    assert sorted(public) == sorted(autovec.__all__)
    for stray in ("annotations", "core", "interpreters", "tree", "prims", "backends", "ir"):
        assert stray not in dir(autovec), stray
    for name in autovec.__all__:
        assert hasattr(autovec, name), name
    assert "__version__" in dir(autovec)


def test_dir_of_autovec_numpy_is_its_all():
    public = [n for n in dir(anp) if not n.startswith("__")]
    assert sorted(public) == sorted(anp.__all__)
    assert "creation" not in dir(anp) and "annotations" not in dir(anp)


def test_py_typed_is_shipped():
    assert (ROOT / "autovec" / "py.typed").is_file()
    config = (ROOT / "pyproject.toml").read_text()
    section = re.search(
        r"^\[tool\.setuptools\.package-data\]\n(.*?)(?:^\[|\Z)", config, re.M | re.S
    )
    assert section and re.search(r'^autovec = \[.*"py\.typed".*\]', section.group(1), re.M)
