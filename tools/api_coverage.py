"""Measure how much of NumPy's API ``autovec.numpy`` covers; write ``docs/coverage.md``.

    python tools/api_coverage.py            # regenerate docs/coverage.md
    python tools/api_coverage.py --check    # exit 1 if docs/coverage.md is stale

Every public callable of ``numpy``, ``numpy.linalg`` and ``numpy.fft``, and every public
method of ``numpy.ndarray``, gets one status:

- **supported**: ``autovec.numpy`` has it (its ``EXPORTED`` list for ``numpy``; the
  ``autovec.numpy.linalg``/``autovec.numpy.fft`` mirrors for the submodules; an attribute
  of ``Tracer`` for the ndarray methods), so NumPy code calling it works under vmap;
- **not applicable**: it has no meaning for a value batched by vmap or traced by jit (file
  I/O, printing, dtype introspection, ...).  The list below is explicit: each name (or each
  clear rule, such as "scalar types") carries its reason;
- **not yet**: everything else.

The output depends only on the installed NumPy and on autovec, names are sorted, and nothing
is timed, so two runs give the same file.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from typing import Any, NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "coverage.md")

# ------------------------------------------------------------------ not applicable: reasons

IO = "I/O: files, buffers and text parsing"
PRINTING = "printing and string formatting"
INTROSPECTION = "dtype and type introspection: returns Python objects, not arrays"
MEMORY = "memory layout and buffers: traced values have no memory of their own"
DATETIME = "datetime and business-day functions"
CONFIG = "errstate and configuration"
TESTING = "testing"
OBJECTS = "array classes, iterators and legacy subclasses: objects, not array functions"
OBJECT_DTYPE = "object dtype: wraps a Python function element by element"
CONCRETE = "needs a concrete Python value: raises a clear error under vmap/jit by design"
SCALAR_TYPES = "scalar type / dtype: used as a dtype argument, which autovec accepts"
EXCEPTIONS = "exception type: caught, not called"

# Per module: name -> reason.  Keep each list sorted within its reason.
_NOT_APPLICABLE_BY_REASON: dict[str, dict[str, list[str]]] = {
    "numpy": {
        IO: [
            "frombuffer",
            "fromfile",
            "fromregex",
            "fromstring",
            "genfromtxt",
            "load",
            "loadtxt",
            "save",
            "savetxt",
            "savez",
            "savez_compressed",
        ],
        PRINTING: [
            "array2string",
            "array_repr",
            "array_str",
            "base_repr",
            "binary_repr",
            "format_float_positional",
            "format_float_scientific",
            "get_printoptions",
            "info",
            "printoptions",
            "set_printoptions",
            "typename",
        ],
        INTROSPECTION: [
            "can_cast",
            "common_type",
            "dtype",
            "einsum_path",
            "finfo",
            "iinfo",
            "isdtype",
            "isscalar",
            "issubdtype",
            "iterable",
            "min_scalar_type",
            "mintypecode",
            "promote_types",
        ],
        MEMORY: [
            "from_dlpack",
            "getbufsize",
            "isfortran",
            "may_share_memory",
            "setbufsize",
            "shares_memory",
        ],
        DATETIME: [
            "busday_count",
            "busday_offset",
            "busdaycalendar",
            "datetime_as_string",
            "datetime_data",
            "is_busday",
            "isnat",
        ],
        CONFIG: [
            "errstate",
            "get_include",
            "geterr",
            "geterrcall",
            "seterr",
            "seterrcall",
            "show_config",
            "show_runtime",
        ],
        TESTING: ["test"],
        OBJECTS: [
            "asmatrix",
            "bmat",
            "broadcast",
            "flatiter",
            "matrix",
            "memmap",
            "ndarray",
            "ndenumerate",
            "ndindex",
            "nditer",
            "nested_iters",
            "poly1d",
            "recarray",
            "record",
            "ufunc",
        ],
        OBJECT_DTYPE: ["frompyfunc"],
    },
    "numpy.linalg": {TESTING: ["test"]},
    "numpy.fft": {TESTING: ["test"]},
    "numpy.ndarray": {
        IO: ["dump", "dumps", "tofile"],
        MEMORY: ["byteswap", "getfield", "setfield", "setflags", "tobytes", "view"],
        CONCRETE: ["item", "tolist"],
    },
}

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    module: {name: reason for reason, names in by_reason.items() for name in names}
    for module, by_reason in _NOT_APPLICABLE_BY_REASON.items()
}

# Tracer methods that exist only to raise a clear error: not applicable, even though present.
RAISES_BY_DESIGN = {
    "item",
    "tolist",
    "view",
    *("dump", "dumps", "tofile", "tobytes"),  # need the values: a specific error
    *("byteswap", "getfield", "setfield", "setflags"),  # about memory: a specific error
}


def rule_not_applicable(obj: Any) -> str | None:
    """Reasons that follow from what the object is, not from its name."""
    import numpy as np

    if isinstance(obj, type):
        if issubclass(obj, np.generic):
            return SCALAR_TYPES
        if issubclass(obj, BaseException):
            return EXCEPTIONS
    return None


# ------------------------------------------------------------------------- classification


class Row(NamedTuple):
    module: str
    name: str
    status: str  # "supported" | "not applicable" | "not yet"
    reason: str


MODULES = ("numpy", "numpy.linalg", "numpy.fft", "numpy.ndarray")


def public_callables(obj: Any) -> list[str]:
    """Sorted public callable attributes of a module (submodules excluded) or class."""
    names = []
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(obj, name, None)
        if isinstance(value, types.ModuleType) or not callable(value):
            continue
        names.append(name)
    return sorted(names)


def _supported_names() -> dict[str, set[str]]:
    sys.path.insert(0, ROOT)
    import autovec.numpy as anp
    from autovec.core import Tracer

    def mirror_names(module: str) -> set[str]:
        mirror = anp._MIRRORS.get(module)
        if mirror is None:
            return set()
        names = getattr(mirror, "__all__", None) or dir(mirror)
        return {n for n in names if callable(getattr(mirror, n, None))}

    import numpy as np

    methods = {
        n
        for n in public_callables(np.ndarray)
        if callable(getattr(Tracer, n, None)) and n not in RAISES_BY_DESIGN
    }
    return {
        "numpy": set(anp.EXPORTED),
        "numpy.linalg": mirror_names("numpy.linalg"),
        "numpy.fft": mirror_names("numpy.fft"),
        "numpy.ndarray": methods,
    }


def classify() -> list[Row]:
    import numpy as np

    supported = _supported_names()
    objects = {
        "numpy": np,
        "numpy.linalg": np.linalg,
        "numpy.fft": np.fft,
        "numpy.ndarray": np.ndarray,
    }
    rows = []
    for module in MODULES:
        obj = objects[module]
        explicit = NOT_APPLICABLE[module]
        for name in public_callables(obj):
            if name in supported[module]:
                rows.append(Row(module, name, "supported", ""))
                continue
            reason = explicit.get(name) or rule_not_applicable(getattr(obj, name))
            if reason:
                rows.append(Row(module, name, "not applicable", reason))
            else:
                rows.append(Row(module, name, "not yet", ""))
    return rows


# -------------------------------------------------------------------------------- render


def _percent(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "-"


def render(rows: list[Row]) -> str:
    import numpy as np

    def count(status: str, module: str | None = None) -> int:
        return sum(1 for r in rows if r.status == status and module in (None, r.module))

    sup, na, todo = count("supported"), count("not applicable"), count("not yet")
    applicable = sup + todo
    out = [
        "# NumPy API coverage",
        "",
        f"**{sup} of {applicable} applicable names supported ({_percent(sup, applicable)})**; "
        f"{todo} not yet, {na} not applicable.",
        "",
        f"Generated by `python tools/api_coverage.py` against NumPy {np.__version__}; do not edit "
        f"by hand. `tests/test_coverage_doc.py` fails when this file is stale.",
        "",
        "*Supported*: `autovec.numpy` (or its `linalg`/`fft` submodule, or the traced value for "
        "`ndarray` methods) has it, so NumPy code calling it works inside `autovec.vmap`. "
        "*Not applicable*: the name has no meaning for a batched or traced value; the reason "
        "is given. *Not yet*: applicable, not implemented.",
        "",
        "| module | supported | not yet | not applicable | coverage of applicable |",
        "|---|---|---|---|---|",
    ]
    for module in MODULES:
        s, t, n = (count(k, module) for k in ("supported", "not yet", "not applicable"))
        out.append(f"| `{module}` | {s} | {t} | {n} | {_percent(s, s + t)} |")
    for module in MODULES:
        title = "methods of `numpy.ndarray`" if module == "numpy.ndarray" else f"`{module}`"
        out += ["", f"## {title}", "", "| name | status | reason |", "|---|---|---|"]
        for r in rows:
            if r.module == module:
                out.append(f"| `{r.name}` | {r.status} | {r.reason} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    text = render(classify())
    if args.check:
        with open(DOC, encoding="utf-8") as f:
            stale = f.read() != text
        print(
            "docs/coverage.md is "
            + ("STALE: run python tools/api_coverage.py" if stale else "up to date")
        )
        return 1 if stale else 0
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(text)
    print(text.split("\n")[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
