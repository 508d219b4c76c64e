"""Eight running sums in one vector register, for the numba kernels' float sums.

NumPy adds a block of up to 128 floats with 8 running sums, one per position modulo 8
(``fused_sums``).  Written as 8 scalar variables, numba's LLVM keeps
them in 8 registers and adds one number at a time: numba turns LLVM's SLP vectoriser off,
which is what would pack them.  Here the 8 sums are one value of LLVM type ``<8 x float>``
(or ``double``) that numba code carries through its loops: ``start8`` loads 8 consecutive
numbers of a 1-d array, ``add8`` adds 8 more, ``lane8`` reads one sum back.  Each lane
makes exactly the additions the scalar code makes, in the same order, so the bits are the
same; the vector only does 8 of them in one instruction.

Imported by the generated kernel modules (``fused_kernels``), after numba.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

# Bump when the code below changes: it is part of every kernel's source, so kernels cached
# on disk with an older version are compiled again.
VERSION = 3  # fused_sums.SIMD_VERSION names it


class Sums8(types.Type):
    """8 running sums of a float dtype, held in one vector value."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype
        super().__init__(name=f"Sums8({dtype})")


@register_model(Sums8)
class _Sums8Model(models.PrimitiveModel):
    def __init__(self, dmm: Any, fe_type: Sums8) -> None:
        element = ir.DoubleType() if fe_type.dtype == types.float64 else ir.FloatType()
        super().__init__(dmm, fe_type, ir.VectorType(element, 8))


_FLOATS = (types.float32, types.float64)


def _float_array(arr: Any) -> bool:
    return (
        isinstance(arr, types.Array)
        and arr.ndim == 1
        and arr.layout == "C"
        and arr.dtype in _FLOATS
    )


def _load8(context: Any, builder: Any, arr_ty: Any, arr: Any, inds: list) -> Any:
    """The 8 numbers of a C-contiguous array from index ``inds`` (one per axis) along its
    last axis, as one vector (no bounds check: the kernels ask only for numbers inside their
    rows and blocks)."""
    array = context.make_array(arr_ty)(context, builder, arr)
    ptr = cgutils.get_item_pointer(
        context, builder, arr_ty, array, inds, wraparound=False, boundscheck=False
    )
    vec_ty = context.get_value_type(Sums8(arr_ty.dtype))
    return builder.load(builder.bitcast(ptr, vec_ty.as_pointer()), align=arr_ty.dtype.bitwidth // 8)


@intrinsic
def start8(typingctx: Any, arr: Any, i: Any) -> Any:
    """``-0.0 + arr[i:i + 8]``: 8 running sums started as NumPy starts them."""
    if not _float_array(arr) or not isinstance(i, types.Integer):
        return None
    sig = Sums8(arr.dtype)(arr, i)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        vec = _load8(context, builder, sig.args[0], args[0], [args[1]])
        neg_zero = ir.Constant(vec.type, [ir.Constant(vec.type.element, -0.0)] * 8)
        return builder.fadd(neg_zero, vec)

    return sig, codegen


@intrinsic
def add8(typingctx: Any, sums: Any, arr: Any, i: Any) -> Any:
    """``sums + arr[i:i + 8]``, lane by lane."""
    if not (isinstance(sums, Sums8) and _float_array(arr) and arr.dtype == sums.dtype):
        return None
    sig = sums(sums, arr, i)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.fadd(args[0], _load8(context, builder, sig.args[1], args[1], [args[2]]))

    return sig, codegen


@intrinsic
def lane8(typingctx: Any, sums: Any, k: Any) -> Any:
    """Running sum ``k`` (0..7)."""
    if not isinstance(sums, Sums8) or not isinstance(k, types.Integer):
        return None
    sig = sums.dtype(sums, k)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.extract_element(args[0], args[1])

    return sig, codegen


# ------------------------------------------------------- 8 numbers of a row, computed at once


@intrinsic
def load8(typingctx: Any, arr: Any, idx: Any) -> Any:
    """Numbers ``arr[idx]`` to ``arr[idx + (0, ..., 7)]`` of a C-contiguous float array
    (``idx``: one index per axis; the 8 numbers run along the last axis)."""
    ok = isinstance(arr, types.Array) and arr.layout == "C" and arr.dtype in _FLOATS
    if not ok or not isinstance(idx, types.UniTuple) or idx.count != arr.ndim:
        return None
    sig = Sums8(arr.dtype)(arr, idx)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        inds = cgutils.unpack_tuple(builder, args[1], sig.args[0].ndim)
        return _load8(context, builder, sig.args[0], args[0], inds)

    return sig, codegen


@intrinsic
def splat8(typingctx: Any, x: Any) -> Any:
    """8 copies of the float ``x``."""
    if x not in _FLOATS:
        return None
    sig = Sums8(x)(x)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        vec_ty = context.get_value_type(sig.return_type)
        vec = ir.Constant(vec_ty, ir.Undefined)
        for k in range(8):
            vec = builder.insert_element(vec, args[0], ir.Constant(ir.IntType(32), k))
        return vec

    return sig, codegen


def _binary(op: str) -> Any:
    def typer(typingctx: Any, a: Any, b: Any) -> Any:
        if not (isinstance(a, Sums8) and a == b):
            return None

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            return getattr(builder, op)(args[0], args[1])

        return a(a, b), codegen

    typer.__name__ = f"v_{op}"
    return intrinsic(typer)


vadd8 = _binary("fadd")
vsub8 = _binary("fsub")
vmul8 = _binary("fmul")
vdiv8 = _binary("fdiv")


@intrinsic
def vneg8(typingctx: Any, a: Any) -> Any:
    """``-a``, lane by lane (the sign bit flipped, as NumPy's ``negative``)."""
    if not isinstance(a, Sums8):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.fneg(args[0])

    return a(a), codegen


@intrinsic
def vstart8(typingctx: Any, a: Any) -> Any:
    """``-0.0 + a``: 8 running sums started from 8 numbers, as NumPy starts them."""
    if not isinstance(a, Sums8):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        vec = args[0]
        neg_zero = ir.Constant(vec.type, [ir.Constant(vec.type.element, -0.0)] * 8)
        return builder.fadd(neg_zero, vec)

    return a(a), codegen


# ------------------------------------------------- comparisons that raise no flag on a NaN


@intrinsic
def order_key(typingctx: Any, x: Any) -> Any:
    """An integer ordered as the float ``x`` is, for ``x`` not NaN (``-0.0`` and ``0.0``
    both 0): comparing keys raises no floating-point flag, where the compiler's vector
    compare of floats is a signalling one.  Kernels compare ``x == x`` (quiet) first."""
    if x not in _FLOATS:
        return None
    bits = ir.IntType(x.bitwidth)
    sig = types.int64(x) if x.bitwidth == 64 else types.int32(x)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        # x + 0.0 makes -0.0 into 0.0 (and raises nothing for a quiet NaN); then the sign
        # bit turns a negative float's magnitude bits around, so the order is the float's.
        y = builder.fadd(args[0], ir.Constant(args[0].type, 0.0))
        i = builder.bitcast(y, bits)
        sign = builder.ashr(i, ir.Constant(bits, x.bitwidth - 1))
        return builder.xor(i, builder.lshr(sign, ir.Constant(bits, 1)))

    return sig, codegen
