"""Labels for the dynamic leaves of a jitted call, for error messages: the argument's name
and the leaf's pytree path in it (``opts['clip']``, ``xs[1]``)."""

from __future__ import annotations

import inspect

from autovec.tree import PyTreeDef, tree_flatten_with_path, tree_unflatten


def leaf_labels(
    sig: inspect.Signature | None, treedef: PyTreeDef, positions: list[int]
) -> list[str] | None:
    """One label per dynamic leaf, for error messages: the argument's name and the leaf's
    pytree path in it (``opts['clip']``, ``xs[1]``).  ``positions`` are the dynamic
    arguments' places in the call (static ones are left out of ``treedef``)."""
    if sig is None:
        return None
    names = [
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    labels: list[str] = []
    args_def, kw_def = treedef.children
    for i, child in zip(positions, args_def.children):
        base = names[i] if i < len(names) else f"arg{i}"
        labels.extend(base + path for path in _leaf_paths(child))
    for path in _leaf_paths(kw_def):  # "['name']...": the keyword's name, then the path
        key, _, rest = path[2:].partition("']")
        labels.append(key + rest)
    return labels


def _leaf_paths(treedef: PyTreeDef) -> list[str]:
    placeholder = tree_unflatten(treedef, [0] * treedef.num_leaves)
    return [path for path, _ in tree_flatten_with_path(placeholder)[0]]
