"""PyTorch tensors as a backend: the namespace ``xp`` the primitives' impls receive for them.

The primitives call NumPy's function names with NumPy's signatures (``xp.arctan2``,
``xp.sum(x, axis=(0, 2), keepdims=False)``, ``xp.astype(x, np.dtype("float32"))``) and
expect NumPy's result dtypes (NEP 50 promotion, float64 for integer inputs to ``sin``).
``TorchNamespace`` gives them exactly that on tensors. Functions torch lacks are built from
torch operations; what cannot be raises ``BackendUnsupportedError`` naming the backend.
Nothing is ever copied to NumPy to compute.

One namespace per device: ``xp.device`` is where ``xp.asarray`` puts NumPy constants and
where ``zeros``/``arange``/... allocate. CuPy's namespace is array-api-compat's, unchanged
(``autovec.backends``): CuPy mirrors NumPy's names, signatures and dtypes.

The modules, lowest first:

- ``dtypes``: NumPy's dtypes for torch's and back, NumPy's result dtypes, the error;
- ``elementwise``: ufuncs with NumPy's dtype plans; ``reductions``; ``indexing`` (NumPy's
  indices, gathers, sorts); ``shapes`` (reshapes and layouts); ``linalg`` (products,
  convolutions, ``linalg``, ``fft``);
- ``namespace``: ``TorchNamespace`` and the table of its functions.
"""

from autovec.torch_namespace.dtypes import BACKEND, numpy_dtype_of, torch_dtype, unsupported
from autovec.torch_namespace.namespace import TorchNamespace

__all__ = ["BACKEND", "TorchNamespace", "numpy_dtype_of", "torch_dtype", "unsupported"]
