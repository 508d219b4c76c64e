"""The exception types users catch.

Every error autovec raises on purpose is an ``AutovecError``.  Where a built-in exception
type is what NumPy or JAX would raise for the same mistake (``ValueError`` for a bad axis,
``TypeError`` for a bad conversion), the autovec type also subclasses it, so code written
against NumPy's or JAX's behaviour keeps working.  Names follow JAX where JAX has one.
"""

from __future__ import annotations


class AutovecError(Exception):
    """Base class of every error autovec raises on purpose."""


# ----------------------------------------------------------------------------- vmap spec
class BatchAxisError(AutovecError, ValueError):
    """An ``in_axes``/``out_axes`` entry is out of range for the value's rank."""


class BatchSizeMismatchError(AutovecError, ValueError):
    """The mapped axes of the arguments do not all have the same size."""


class InAxesStructureError(AutovecError, ValueError, TypeError):
    """An ``in_axes``/``out_axes`` tree does not match the arguments or outputs, or one of
    its leaves is not an int or None.  JAX raises ``ValueError`` for the first and
    ``TypeError`` for the second (a bool, an array, a top-level dict), so this is both."""


class AxisSizeError(AutovecError, ValueError):
    """No argument is batched and ``axis_size`` was not given (or it disagrees)."""


class OutAxesError(AutovecError, ValueError):
    """``out_axes=None`` was asked for an output that depends on the batch."""


# ---------------------------------------------------------------------- tracer misuse
class ConcretizationTypeError(AutovecError, TypeError):
    """A traced or batched value was used where a concrete Python value is needed."""


class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (an ``if``, ``while``, ``and``/``or``) on a traced or batched value."""


class TracerIntegerConversionError(ConcretizationTypeError):
    """``int()``/``operator.index()`` on a traced or batched value."""


class TracerArrayConversionError(AutovecError, TypeError):
    """A traced or batched value was turned into a plain ``numpy.ndarray``."""


class UnexpectedTracerError(AutovecError):
    """A tracer escaped the transformation that made it and was used later."""


# ------------------------------------------------------------------------- operations
class UnsupportedOperationError(AutovecError, TypeError):
    """A NumPy function or argument that autovec does not implement (yet)."""


class BackendMismatchError(AutovecError, TypeError):
    """Arrays of two array libraries (PyTorch and NumPy, CuPy and PyTorch), or of two devices,
    meet in one vmap/jit call or one operation: autovec never copies between them behind
    the user's back.  (NumPy constants the function closes over are converted, once.)"""


class BackendUnsupportedError(UnsupportedOperationError):
    """An operation that a backend (PyTorch, CuPy) has no equivalent for: the message names
    the backend and the operation; nothing is copied to NumPy to run it there."""


class UnsupportedAttributeError(UnsupportedOperationError, AttributeError):
    """An ndarray attribute a traced value cannot have (its memory: ``.data``, ``.strides``,
    ``.__array_interface__``, ...).  Also an ``AttributeError``, so ``hasattr`` says False and
    protocol probes (NumPy's, other libraries') move on as they would for a missing attribute."""


class UnsupportedInputError(UnsupportedOperationError):
    """A vmap/jit argument whose type changes NumPy's meaning of operators or functions
    (``np.matrix``, ``np.ma.MaskedArray``, an ndarray subclass with its own ``__mul__`` or
    ``__array_ufunc__``): computing it with plain-ndarray rules would give a wrong answer."""


class ForeignUfuncError(UnsupportedOperationError):
    """A ufunc that is not NumPy's own (numba ``@vectorize``, ``scipy.special``,
    ``np.frompyfunc``) was called on a traced value."""


class NonHashableStaticArgumentError(UnsupportedOperationError, ValueError):
    """A jit static argument is not hashable (JAX raises ``ValueError`` for this)."""


class TooManyDimensionsError(AutovecError, ValueError):
    """A batched value would need more axes than NumPy allows (64): one example may have at
    most 63 under one vmap."""


class BatchingRuleError(AutovecError, NotImplementedError):
    """A primitive has no batching rule for this combination of batched arguments."""


class SplitOutputMismatchError(AutovecError, ValueError):
    """Examples that took different paths returned outputs of different structure or shape."""


class OptionError(AutovecError, ValueError):
    """An option of ``vmap``/``jit`` has a value it does not accept."""


class RandomnessError(AutovecError, RuntimeError):
    """A random draw inside ``vmap(..., randomness="error")``."""


class RandomUnderJitError(UnsupportedOperationError):
    """A random draw while jit traces: the compiled program could not draw at run time."""


class VmapMemoryError(AutovecError, MemoryError):
    """A vmap ran out of memory holding the whole batch at once: ``vmap(f, max_memory=...)``
    (or ``chunk_size=``) runs it in chunks of examples under a memory budget."""


class MissingDependencyError(AutovecError, ImportError):
    """An optional dependency an option needs (tqdm for ``progress=True``, dask) is not
    installed; the message says which extra installs it."""


class FallbackWarning(UserWarning):
    """vmap continues per group of examples where NumPy offers no hook (``np.asarray`` of a
    batched value, ``float()``, ``math.*``, writing into a plain ndarray): correct, but slower
    than vectorised code.  The message names the line and the vectorised alternative."""


class JitFallbackWarning(FallbackWarning):
    """jit could not compile a function for one argument signature (Python control flow on
    a traced value, ``np.asarray`` of one, a random draw): it runs the function uncompiled,
    as it would without jit, for that signature from then on.  The message names the line
    and what keeps the function compiled."""


class ControlFlowError(AutovecError, TypeError):
    """A structured control-flow call (``cond``, ``switch``, ``while_loop``, ``fori_loop``,
    ``scan``, ``map``) got arguments JAX would reject with ``TypeError``: a predicate or index
    that is not a scalar of the right kind, a function that is not callable."""


class BranchOutputMismatchError(ControlFlowError):
    """The branches of ``cond``/``switch`` return outputs of different pytree structure,
    shape or dtype."""


class CarryTypeError(ControlFlowError):
    """A ``while_loop``/``fori_loop``/``scan`` body returns a carry whose pytree structure,
    shape or dtype differs from the initial value's."""


class DataDependentShapeError(AutovecError, ValueError):
    """The result's shape depends on the values of a batched or traced argument."""


class SharedStateWriteError(AutovecError, ValueError):
    """A vmapped function wrote into an array every example shares (an ``in_axes=None``
    argument, a closed-over or global array): the loop would write it once per example."""


class EmptyBatchError(AutovecError, ValueError):
    """vmap over no examples reached code that needs one example's value (an ``if``,
    ``float()``, ``np.asarray``, a per-example size): there is none, and the Python loop over
    no examples has no result to stack either."""


class AliasedArgumentsError(AutovecError, ValueError):
    """A vmapped or jitted function wrote in place into an argument whose memory another
    argument shares (the same array passed twice): the loop's write would show in both."""


def hashable_advice(value: object) -> str:
    """What to pass instead of an unhashable jit static argument, by its type."""
    if isinstance(value, dict):
        how = "For a dict, pass tuple(sorted(d.items())) and rebuild it inside with dict(...)"
    elif isinstance(value, (set, bytearray)):
        how = f"Pass {'frozenset' if isinstance(value, set) else 'bytes'}(value) instead"
    elif isinstance(value, list):
        how = "Pass a tuple instead of a list"
    else:
        how = "Pass a hashable equivalent (a tuple, a number, a string)"
    return (
        f"{how}; or fix the value before jit sees it with functools.partial(f, name=value), "
        f"or make it a regular (traced) argument if it holds arrays."
    )


__all__ = [name for name in dir() if name.endswith(("Error", "Warning"))]


def add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)`` once (a note already there is not repeated); on Python 3.10,
    which has no ``add_note``, the same ``__notes__`` attribute (its tracebacks do not show
    it)."""
    if note in getattr(exc, "__notes__", ()):
        return
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", ()), note]
