"""Bank-aware DRAM model: standards as data tables, vectorized timing/energy, trace I/O."""

from accelsim.hw.dram.model import (
    ISSUE_MODES,
    BatchResult,
    DramModel,
    DramState,
    DramStats,
    decode,
    replay,
)
from accelsim.hw.dram.spec import DramSpec, from_dramsim3_ini, load_dram, standards
from accelsim.hw.dram.trace import TRACE_FORMATS, Trace, read_trace, write_trace

__all__ = [
    "ISSUE_MODES",
    "TRACE_FORMATS",
    "BatchResult",
    "DramModel",
    "DramSpec",
    "DramState",
    "DramStats",
    "Trace",
    "decode",
    "from_dramsim3_ini",
    "load_dram",
    "read_trace",
    "replay",
    "standards",
    "write_trace",
]
