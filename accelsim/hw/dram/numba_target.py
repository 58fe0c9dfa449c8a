"""Load numba's CPU target without the scipy import its BLAS probe costs.

Before a process runs its first compiled function, even one numba loads from its on-disk cache,
numba fills its CPU target's typing and lowering registries (``BaseContext.refresh``). One of
them, ``numba.np.arraymath``, probes at import for scipy's BLAS (``_check_blas``, which imports
``scipy.linalg.cython_blas``): 0.2 s of CPU, a third of numba's start-up, that a DRAM replay never
uses. :func:`load` fills the registries while that module reads as absent. The probe then only
decides that numba's ``np.correlate`` and ``np.convolve`` use their own loop instead of BLAS; every
other BLAS or LAPACK function still imports scipy when numba compiles it (``numba.np.linalg``).
"""

from __future__ import annotations

import sys

_PROBED = "scipy.linalg.cython_blas"


def load() -> None:
    """Fill numba's CPU target registries now, skipping the BLAS probe's scipy import where neither
    has happened yet in this process."""
    from numba.core.registry import cpu_target

    if "numba.np.arraymath" in sys.modules or _PROBED in sys.modules:
        cpu_target.target_context.refresh()
        return
    sys.modules[_PROBED] = None  # the import system's "not importable" mark
    try:
        cpu_target.target_context.refresh()
    finally:
        del sys.modules[_PROBED]
