"""What jit does with a function it cannot stage: code that needs a concrete value of a
traced one (a Python ``if``/``while`` on it, ``float(x)``, ``np.asarray(x)``, a size that
depends on the values, a random draw) has no compiled form, so jit runs the function
uncompiled for that signature, as it runs without jit, and says so once
(``JitFallbackWarning``).  interpreters/jit.py catches ``Unstaged`` from its tracing.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters.batching import _protect, _reachable, _unprotect, _wrote_into
from autovec.interpreters.codegen import explain_error, raised_in_program

# What jit does with a function it cannot stage (see Unstaged): run it uncompiled and warn
# once, run it uncompiled silently, or raise the error tracing met.
FALLBACK_MODES = ("warn", "eager", "error")
# Raised while tracing, these mean the code needs a value that only running it has.
NEEDS_VALUES = (
    errors.ConcretizationTypeError,
    errors.TracerArrayConversionError,
    errors.DataDependentShapeError,
    errors.RandomUnderJitError,
)


class GeneratorArgument(TypeError):
    """Internal: an argument is a random generator, so the function draws at run time and
    jit runs it uncompiled.  (A TypeError: the fast path leaves it to the slow path.)"""


class Unstaged(Exception):
    """Internal: tracing met code that needs a concrete value (a Python ``if`` or ``while``
    on a traced value, ``float(x)``, ``np.asarray(x)``, a size that depends on the values, a
    random draw).  No program can answer it the way running the function does, so jit runs
    the function uncompiled for this signature: eagerly, or under the enclosing
    transformation (an eager vmap then splits its batch there, as the loop would)."""

    def __init__(self, error: BaseException, source: Any):
        super().__init__(str(error))
        self.error = error
        self.source = source


def reached(fun: Any) -> list:
    """What ``fun`` (and the function it wraps) reaches without arguments."""
    inner = getattr(fun, "__wrapped__", None)
    return _reachable(fun) + (_reachable(inner) if inner is not None else [])


def user_line(err: BaseException) -> Any:
    """The innermost ``(file, line)`` of ``err``'s traceback outside autovec and NumPy."""
    found, tb = None, err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS):
            found = filename, tb.tb_lineno
        tb = tb.tb_next
    return found


def warn_unstaged(fun: Callable, why: Unstaged) -> None:
    """One warning per line of code that stops jit from compiling (Python's registry)."""
    name = getattr(fun, "__name__", "f")
    code = getattr(inspect.unwrap(fun), "__code__", None)
    filename, lineno = why.source or (
        (code.co_filename, code.co_firstlineno) if code else ("<unknown>", 0)
    )
    message = (
        f"jit could not compile {name}: at {filename}:{lineno} the code needs a concrete "
        f"value: {why.error} jit runs {name} uncompiled for arguments of these shapes and "
        f"dtypes, now and on later calls, as it would run without jit (a vmap inside splits "
        f"its batch there, as the loop would). To keep it compiled, choose per element with "
        f"autovec.numpy.where, write control flow on traced values with autovec.cond / "
        f"autovec.while_loop / autovec.fori_loop, mark configuration arguments static "
        f"(static_argnums=...), and draw random numbers outside jit. jit(f, "
        f"fallback='eager') silences this warning; fallback='error' raises instead."
    )
    warnings.warn_explicit(
        message, errors.JitFallbackWarning, filename, lineno, registry=_WARNED_AT
    )


_LIBRARY_DIRS = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(np.__file__))
_WARNED_AT: dict = {}  # warnings' registry: once per message and line


def runs_eagerly(exc: Exception) -> bool:
    """Whether a call whose compiled program raised ``exc`` runs again as ``fun`` itself.

    The function may catch the error (``try: inv(a) except LinAlgError: ...``), which a
    program cannot: so an error raised while a program runs (not while tracing) sends the
    call to the eager path, where NumPy raises it inside ``fun`` as it would without jit
    (under vmap, for the failing examples only).  Functions are pure: running again gives
    what one run would have."""
    if not isinstance(exc, MemoryError) and raised_in_program(exc):
        return True
    explain_error(exc)  # its note: which equation raised
    return False


def run_eagerly(fun: Callable, failed: Exception, args: tuple, kwargs: dict) -> Any:
    """``fun`` itself on the call whose program raised ``failed`` (see ``runs_eagerly``).
    Where it raises the same type of error, that error is ``failed``: its note names the
    equation and the user's line, and the traceback shows the generated source."""
    try:
        return fun(*args, **kwargs)
    except Exception as exc:
        if type(exc) is not type(failed):
            raise
    explain_error(failed)
    raise failed


@contextlib.contextmanager
def closed_over_read_only(fun: Callable, fallback: str) -> Iterator[None]:
    """While jit traces ``fun``, the arrays it reaches (closed over, globals) are read-only.
    A write into one (``w += 1``) would happen once, while tracing, where without jit it
    happens on every call: such a function runs uncompiled (``Unstaged``), or, with
    ``fallback='error'``, raises ``SharedStateWriteError``."""
    protected = _protect({}, reached(fun))
    try:
        yield
    except ValueError as err:
        if not (protected and "read-only" in str(err) and _wrote_into(err, protected)):
            raise
        error = errors.SharedStateWriteError(
            "jit: the function writes into an array it closes over or reads from a global "
            "(w += 1, w[i] = v): a compiled program would make that write once, while "
            "tracing, instead of on every call. Pass the array as an argument (jit writes "
            "an argument's in-place updates back on every call) or return the new value."
        )
        if fallback == "error":
            raise error from err
        raise Unstaged(error, user_line(err)) from err
    finally:
        _unprotect(protected)
