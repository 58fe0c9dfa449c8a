"""DRAM request traces: read DRAMsim3's format, write DRAMsim3 and Ramulator2 formats.

DRAMsim3 (``dramsim3main CONFIG -t TRACE``): one request per line, ``0xADDR READ|WRITE CYCLE``.
Ramulator2 (``LoadStoreTrace`` frontend): ``LD 0xADDR`` or ``ST 0xADDR``, no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from accelsim.errors import InputError
from accelsim.inputs import read_text
from accelsim.outputs import write_text

TraceFormat = Literal["dramsim3", "ramulator2"]
TRACE_FORMATS: tuple[str, ...] = ("dramsim3", "ramulator2")


@dataclass(frozen=True)
class DramTrace:
    """Requests of a trace file: byte address, write flag, arrival cycle (int64 arrays)."""

    addr: np.ndarray
    is_write: np.ndarray
    cycle: np.ndarray

    def __len__(self) -> int:
        return len(self.addr)


def read_dram_trace(path: str | Path) -> DramTrace:
    """Parse a DRAMsim3 trace. Blank lines and ``#`` comments are skipped.

    Raises
    ------
    InputError
        Naming the file and line of the first malformed request.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    addr, wr, cyc = [], [], []
    for no, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].split()
        if not text:
            continue
        where = f"line {no}"
        if len(text) != 3:
            raise InputError(path, where, f"expected '0xADDR READ|WRITE CYCLE', got {line!r}")
        a, kind, c = text
        try:
            if not a.isascii():
                raise ValueError(a)
            value = int(a, 16) if a.lower().startswith("0x") else int(a)
        except ValueError:
            raise InputError(path, where, f"bad address {a!r}") from None
        if not 0 <= value < 1 << 63:
            raise InputError(path, where, f"address out of range {a!r}")
        if kind.upper() not in ("READ", "WRITE"):
            raise InputError(path, where, f"request type must be READ or WRITE, not {kind!r}")
        if not (c.isascii() and c.isdigit() and int(c) < 1 << 63):
            raise InputError(path, where, f"cycle must be a non-negative integer, not {c!r}")
        addr.append(value)
        wr.append(kind.upper() == "WRITE")
        cyc.append(int(c))
    if not addr:
        raise InputError(path, None, "trace holds no requests")
    return DramTrace(np.array(addr, dtype=np.int64), np.array(wr, dtype=bool),
                 np.array(cyc, dtype=np.int64))


def write_dram_trace(
    path: str | Path,
    addr: np.ndarray,
    cycle: np.ndarray | None = None,
    *,
    is_write: np.ndarray | None = None,
    fmt: TraceFormat = "dramsim3",
) -> int:
    """Write requests as a DRAMsim3 or Ramulator2 trace; returns the number of lines.

    ``cycle`` (DRAMsim3 only, default 0) is the memory cycle each request may issue.
    """
    if fmt not in TRACE_FORMATS:
        raise ValueError(f"fmt must be one of {TRACE_FORMATS}, not {fmt!r}")
    addr = np.asarray(addr, dtype=np.int64)
    n = len(addr)
    wr = np.zeros(n, bool) if is_write is None else np.asarray(is_write, dtype=bool)
    hexes = np.char.add("0x", np.char.mod("%x", addr)) if n else np.array([], dtype=str)
    if fmt == "dramsim3":
        cyc = np.zeros(n, np.int64) if cycle is None else np.asarray(cycle, dtype=np.int64)
        kinds = np.where(wr, "WRITE", "READ")
        rows = np.char.add(np.char.add(np.char.add(hexes, " "), kinds),
                           np.char.add(" ", cyc.astype(str)))
    else:
        rows = np.char.add(np.where(wr, "ST ", "LD "), hexes)
    write_text(path, "".join(r + "\n" for r in rows.tolist()), "--dram-trace")
    return n
