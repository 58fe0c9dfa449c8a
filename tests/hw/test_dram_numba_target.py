"""``accelsim.hw.dram.numba_target``: numba's registries load without scipy's BLAS, which still works."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import numpy as np
from numba import njit
from accelsim.hw.dram import numba_target
numba_target.load()
print("scipy.linalg" in sys.modules)
import scipy.linalg.cython_blas  # importable again
dot = njit(lambda a, b: np.dot(a, b))  # BLAS through scipy, compiled after the load
print(dot(np.arange(3.0), np.arange(3.0)))
"""


def test_registries_load_without_scipy_blas_which_still_works():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "5.0"]
