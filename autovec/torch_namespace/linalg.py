"""Products, convolutions, ``linalg`` and ``fft`` on tensors with NumPy's signatures and
promotion (operands cast to NumPy's common dtype first)."""

from __future__ import annotations

from typing import Any

import torch

from autovec.torch_namespace.dtypes import result_type, same_dtype, torch_dtype, unsupported


def conv(a: Any, v: Any, mode: str, flip: bool) -> Any:
    """NumPy's ``convolve`` (``flip``) or ``correlate`` of 1-D ``a`` and ``v``; ``a`` may also
    be a stack of rows at least as long as ``v`` (eager vmap's batch: every row with ``v``,
    at once)."""
    want = torch_dtype(result_type(a, v))
    if want.is_complex:
        raise unsupported("convolve/correlate of complex tensors")
    work = want if want.is_floating_point else torch.float64
    if a.shape[-1] < v.shape[0]:  # NumPy swaps so that the longer one slides
        if a.ndim != 1:
            raise unsupported("convolve/correlate of rows shorter than the kernel")
        if not flip:  # NumPy: correlate(a, v) is correlate(v, a) reversed (real dtypes)
            return torch.flip(conv(v, a, mode, False), dims=(0,))
        a, v = v, a
    kernel = torch.flip(v.to(work), dims=(0,)) if flip else v.to(work)
    m = v.shape[0]
    # NumPy's "same" keeps the full result's centre: an even kernel pads one more on the left.
    pad = {"full": m - 1, "same": m // 2, "valid": 0}[mode]
    right = m - 1 - pad if mode == "same" else pad
    x = a.to(work)
    rows = x if x.ndim == 2 else x[None]
    if x.device.type == "cpu" and 1 <= m <= _SHIFTED_MAX_TAPS:
        out = _shifted_products(rows, kernel, pad, right)
        out = out if x.ndim == 2 else out[0]
        return out if want.is_floating_point else torch.round(out).to(want)
    x = x.unsqueeze(-2)  # conv1d's (channels, length), or (rows, channels, length)
    if pad == right:  # conv1d pads both ends alike itself, without a padded copy
        out = torch.nn.functional.conv1d(x, kernel[None, None], padding=pad)
    else:
        x = torch.nn.functional.pad(x, (pad, right))
        out = torch.nn.functional.conv1d(x, kernel[None, None])
    out = out.squeeze(-2)
    if not want.is_floating_point:
        out = torch.round(out)
    return out.to(want)


# On the CPU, torch's conv1d runs one small matrix product per row (slowly: about 50 us for
# a row of 1024 in float64). ``_shifted_products`` adds the kernel's products in its order:
# 4-10x faster on stacks of rows, as close to NumPy's bits as conv1d (the same in most
# cases), and chosen by the kernel's length alone, so that a batch of rows and each row on
# its own (the loop) are computed alike.
_SHIFTED_MAX_TAPS = 32
_SHIFTED_BLOCK = 1 << 16  # elements of a tile: it stays in the cache for every tap


def _shifted_products(rows: Any, kernel: Any, pad: int, right: int) -> Any:
    """``out[r, i] = sum_j row_r[i + j] * kernel[j]`` (``row_r`` zero-padded by ``pad`` and
    ``right``), summed in the order of ``j``: one product per tap and tile of the result
    (a few rows, or a stretch of one long row), added into the tile."""
    n, m = rows.shape[1] + pad + right, kernel.shape[0]
    length = n - m + 1
    out = torch.empty((rows.shape[0], length), dtype=rows.dtype, device=rows.device)
    taps = kernel.unbind(0)
    row_step = max(1, _SHIFTED_BLOCK // n)
    col_step = min(length, _SHIFTED_BLOCK)
    products = torch.empty(
        (min(row_step, rows.shape[0]), col_step), dtype=rows.dtype, device=rows.device
    )
    for r in range(0, rows.shape[0], row_step):
        block = rows[r : r + row_step]
        if pad or right:  # (padded a block at a time: the copy stays in the cache too)
            block = torch.nn.functional.pad(block, (pad, right))
        for c in range(0, length, col_step):
            acc = out[r : r + row_step, c : c + col_step]
            width = acc.shape[1]
            prod = products[: acc.shape[0], :width]
            torch.mul(block[:, c : c + width], taps[0], out=acc)
            for j in range(1, m):
                torch.mul(block[:, c + j : c + j + width], taps[j], out=prod)
                acc += prod
    return out


def einsum(subscripts: str, *ops: Any, optimize: Any = False) -> Any:
    return torch.einsum(subscripts, *same_dtype(*ops))


def matmul(a: Any, b: Any) -> Any:
    return torch.matmul(*same_dtype(a, b))


def vecdot(a: Any, b: Any) -> Any:
    """NumPy's ``vecdot`` over the last axis (the first operand conjugated). On CPU a
    stacked matmul of 1xk by kx1 matrices is 2-3x faster than ``torch.linalg.vecdot`` on
    short rows; below about a thousand rows the products summed along the rows are faster
    still (one kernel less)."""
    if a.dtype != b.dtype:
        a, b = same_dtype(a, b)
    if a.is_complex():
        a = a.conj()
    k = a.shape[-1]
    n = a.numel()
    if 2 <= k <= _UNROLL_K and n > _SHORT_SUM_MAX and a.shape == b.shape and a.is_floating_point():
        # Many very short rows (x . w per example, 3 taps): the products at once, then their
        # columns added in order (four kernels for 3 taps, not seven): a quarter faster than
        # the stacked matmul on 4096 rows of 3, and the same sums as adding row by row.
        cols = torch.mul(a, b).unbind(-1)
        out = torch.add(cols[0], cols[1])
        for col in cols[2:]:
            out += col
        return out
    if n <= _SUM_MAX and b.numel() <= _SUM_MAX and a.dtype is not torch.bool:
        return torch.sum(a * b, dim=-1, dtype=a.dtype)  # (torch's sum would widen ints)
    return torch.matmul(a.unsqueeze(-2), b.unsqueeze(-1))[..., 0, 0]


_SUM_MAX = 2048  # the most elements for which products-then-sum beats the stacked matmul
_SHORT_SUM_MAX = 256  # above it, rows of 2-4 products are added column by column instead
_UNROLL_K = 4  # the longest rows summed column by column


# ------------------------------------------------------------------------- linalg and fft


class Linalg:
    """NumPy's ``linalg`` signatures on ``torch.linalg``."""

    @staticmethod
    def _float(a: Any) -> Any:
        return a if a.is_floating_point() or a.is_complex() else a.to(torch.float64)

    def inv(self, a: Any) -> Any:
        return torch.linalg.inv(self._float(a))

    def det(self, a: Any) -> Any:
        return torch.linalg.det(self._float(a))

    def slogdet(self, a: Any) -> Any:
        return tuple(torch.linalg.slogdet(self._float(a)))

    def solve(self, a: Any, b: Any) -> Any:
        a, b = same_dtype(self._float(a), b)
        return torch.linalg.solve(a, b)

    def cholesky(self, a: Any, upper: bool = False) -> Any:
        return torch.linalg.cholesky(self._float(a), upper=upper)

    def eigh(self, a: Any, UPLO: str = "L") -> Any:  # noqa: N803 (NumPy's name)
        return tuple(torch.linalg.eigh(self._float(a), UPLO=UPLO))

    def eigvalsh(self, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
        return torch.linalg.eigvalsh(self._float(a), UPLO=UPLO)

    def eig(self, a: Any) -> Any:
        return tuple(torch.linalg.eig(self._float(a)))

    def eigvals(self, a: Any) -> Any:
        return torch.linalg.eigvals(self._float(a))

    def svd(
        self, a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
    ) -> Any:
        a = self._float(a)
        if not compute_uv:
            return torch.linalg.svdvals(a)
        return tuple(torch.linalg.svd(a, full_matrices=full_matrices))

    def qr(self, a: Any, mode: str = "reduced") -> Any:
        if mode not in ("reduced", "complete", "r"):
            raise unsupported(f"linalg.qr(mode={mode!r})")
        q, r = torch.linalg.qr(self._float(a), mode=mode)
        return r if mode == "r" else (q, r)

    def __getattr__(self, name: str) -> Any:
        raise unsupported(f"numpy.linalg.{name}")


class FFT:
    """NumPy's ``fft`` signatures on ``torch.fft``."""

    def __getattr__(self, kind: str) -> Any:
        torch_fn = getattr(torch.fft, kind, None)
        if torch_fn is None:
            raise unsupported(f"numpy.fft.{kind}")

        def fn(x: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Any:
            if not (x.is_floating_point() or x.is_complex()):
                x = x.to(torch.float64)
            if x.numel() == 0 and x.shape[axis]:  # MKL refuses empty batches: shape only
                ones = x.new_zeros(tuple(s or 1 for s in x.shape))
                out = torch_fn(ones, n=n, dim=axis, norm=norm).resolve_conj()
                return out[tuple(slice(0, 0) if s == 0 else slice(None) for s in x.shape)]
            return torch_fn(x, n=n, dim=axis, norm=norm).resolve_conj()  # no lazy conj bit

        setattr(self, kind, fn)
        return fn
