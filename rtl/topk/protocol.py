"""The top-k host protocol: framed commands over a byte transport, one client for a board and for
the cocotb simulation of the same top level.

A request is ``SYNC, op`` and the op's payload; every field is little-endian, 16 bits unless
noted. The top level answers each request with ``REPLY, op`` and the reply's payload; an unknown
op is answered ``REPLY, NAK``. Bytes before a ``SYNC`` are skipped.

========  ==================================  ==============================
op        request payload                     reply payload
========  ==================================  ==============================
``L``     n, then n scores                    —
``K``     k, z (signed; statistical engine)   —
``S``     —                                   item count (after the job ends)
``R``     —                                   item count, then the indices
``C``     —                                   cycles of the last job (32 bits)
========  ==================================  ==============================

Cycles count from the job's first accepted score beat until the engine's ``busy`` falls, as
:mod:`accelsim.rtl.topk.bench` measures them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

import numpy as np

SYNC = 0xA5
REPLY = 0x5A
NAK = ord("?")
OP_LOAD, OP_K, OP_START, OP_READ, OP_CYCLES = (ord(c) for c in "LKSRC")
FIELD_BITS = 16  # n, k, z, scores, indices and counts travel as 16-bit fields


class Transport(Protocol):
    """Moves bytes to and from the top level."""

    def write(self, data: bytes) -> None: ...

    def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes; raise :class:`TimeoutError` when they do not come."""
        ...


class SerialTransport:
    """A serial port (pyserial) at ``baud``, 8N1."""

    def __init__(self, port: str, baud: int, timeout_s: float = 2.0) -> None:
        import serial

        self._port = serial.Serial(port, baud, timeout=timeout_s)

    def write(self, data: bytes) -> None:
        self._port.write(data)

    def read(self, size: int) -> bytes:
        data = self._port.read(size)
        if len(data) != size:
            raise TimeoutError(f"{self._port.port}: {len(data)} of {size} bytes before the timeout")
        return data

    def close(self) -> None:
        self._port.close()


class ProtocolError(RuntimeError):
    """The top level answered something the protocol does not allow."""


@dataclass(frozen=True)
class JobResult:
    """What the top level reported for one job."""

    indices: np.ndarray
    cycles: int


class TopKClient:
    """Runs top-k jobs on the host top level through ``transport``."""

    def __init__(self, transport: Transport) -> None:
        self._io = transport

    def _request(self, op: int, payload: bytes = b"") -> None:
        self._io.write(bytes([SYNC, op]) + payload)

    def _reply(self, op: int, size: int) -> bytes:
        head = self._io.read(2)
        if head != bytes([REPLY, op]):
            raise ProtocolError(f"expected reply {bytes([REPLY, op]).hex()} to op {chr(op)!r}, got {head.hex()}")
        return self._io.read(size)

    def load(self, scores: np.ndarray) -> None:
        """Send the job's scores (1 to ``max_n`` unsigned values below 2**16)."""
        vals = np.asarray(scores, dtype=np.int64)
        self._request(OP_LOAD, struct.pack(f"<H{len(vals)}H", len(vals), *vals.tolist()))
        self._reply(OP_LOAD, 0)

    def set_k(self, k: int, z: int = 0) -> None:
        """Items to select; ``z`` is the statistical engine's fixed-point Φ⁻¹(1 − k/n)."""
        self._request(OP_K, struct.pack("<Hh", k, z))
        self._reply(OP_K, 0)

    def start(self) -> int:
        """Run the loaded job; the number of selected items."""
        self._request(OP_START)
        return struct.unpack("<H", self._reply(OP_START, 2))[0]

    def read_indices(self) -> np.ndarray:
        """Indices of the last job's items, in the order the engine emitted them."""
        self._request(OP_READ)
        (count,) = struct.unpack("<H", self._reply(OP_READ, 2))
        return np.frombuffer(self._io.read(2 * count), dtype="<u2").astype(np.int64)

    def read_cycles(self) -> int:
        """Cycles of the last job."""
        self._request(OP_CYCLES)
        return struct.unpack("<I", self._reply(OP_CYCLES, 4))[0]

    def run_job(self, scores: np.ndarray, k: int, z: int = 0) -> JobResult:
        """Load, set k, start, read back indices and cycles."""
        self.load(scores)
        self.set_k(k, z)
        count = self.start()
        indices = self.read_indices()
        if len(indices) != count:
            raise ProtocolError(f"start reported {count} items, read returned {len(indices)}")
        return JobResult(indices, self.read_cycles())


def run_jobs(
    client: TopKClient, scores: np.ndarray, n: np.ndarray, k: np.ndarray, z: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Run every job (row i: ``scores[i, :n[i]]``, ``k[i]``, ``z[i]``); the emitted indices and
    cycles of each."""
    items, cycles = [], np.zeros(len(n), dtype=np.int64)
    for i in range(len(n)):
        res = client.run_job(scores[i, : n[i]], int(k[i]), int(z[i]))
        items.append(res.indices)
        cycles[i] = res.cycles
    return items, cycles
