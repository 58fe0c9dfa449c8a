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
from accelsim.hw.dram.trace import TRACE_FORMATS, DramTrace, read_dram_trace, write_dram_trace

__all__ = [
    "ISSUE_MODES",
    "TRACE_FORMATS",
    "BatchResult",
    "DramModel",
    "DramSpec",
    "DramState",
    "DramStats",
    "DramTrace",
    "decode",
    "from_dramsim3_ini",
    "load_dram",
    "read_dram_trace",
    "replay",
    "standards",
    "write_dram_trace",
]
