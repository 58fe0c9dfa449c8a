"""Bank-aware DRAM model: standards as data tables, vectorized timing/energy, trace I/O.

The names below are imported from their modules on first use: the model's kernels need numba
(about 0.3 s to import), which a run on the bandwidth DRAM model, or one that only reads a DRAM
standard (``accelsim.hw.dram.spec``), never loads.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_MODULE = {
    **dict.fromkeys(("ISSUE_MODES", "BatchResult", "DramModel", "DramState", "DramStats", "decode", "replay"), "model"),
    **dict.fromkeys(("DramSpec", "from_dramsim3_ini", "load_dram", "standards"), "spec"),
    **dict.fromkeys(("TRACE_FORMATS", "DramTrace", "read_dram_trace", "write_dram_trace"), "trace"),
}

__all__ = sorted(_MODULE)


def __getattr__(name: str) -> Any:
    """``name`` from the submodule that defines it, imported now."""
    if name not in _MODULE:
        raise AttributeError(f"module 'accelsim.hw.dram' has no attribute {name!r}")
    return getattr(import_module(f"accelsim.hw.dram.{_MODULE[name]}"), name)
