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


class InAxesStructureError(AutovecError, ValueError):
    """An ``in_axes``/``out_axes`` tree does not match the arguments or outputs."""


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


class BatchingRuleError(AutovecError, NotImplementedError):
    """A primitive has no batching rule for this combination of batched arguments."""


class DataDependentShapeError(AutovecError, ValueError):
    """The result's shape depends on the values of a batched or traced argument."""


__all__ = [name for name in dir() if name.endswith("Error")]
