"""pytest settings for the whole checkout: the doctests of ``autovec/`` are collected too
(``testpaths``), so a module that needs an optional library is left out when that library
is absent (PyTorch is a test dependency on CPython 3.11 only: pyproject.toml says why)."""

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob.append("autovec/torch_namespace/*.py")
