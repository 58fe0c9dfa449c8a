"""Service times of the datapath units, vectorized over a WorkPlan's requests.

Each function maps per-request work (rows, bytes) to cycles on one unit; the event engine decides
how those intervals overlap.
"""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter

import numpy as np

from accelsim.config.hardware import Dram, Hardware, MulArray
from accelsim.hw.requant import RequantParams
from accelsim.hw.softmax import SoftmaxParams
from accelsim.topk import ENGINES, TopKParams
from accelsim.topk.params import SHARED_FIELDS

FIFO_PORT_BYTES = 16  # SpAtten Sec. IV-A: 32 data FIFOs of 64 x 16 B


def topk_params(hw: Hardware) -> TopKParams:
    """The params object of ``hw``'s top-k engines (of the engine's ``params_type``, shared with its RTL);
    ValueError if out of range.

    The input rate is derived: softmax's scores per cycle, capped by the engine's comparators
    (SpAtten RTL SpAttenController.scala builds TopK with ``parallelism = numSoftMaxUnit``).
    """
    t = hw.topk
    return _topk_params(t.engine, _shared(t.__dict__), tuple(t.__pydantic_extra__.items()),
                        min(hw.softmax.parallelism, t.parallelism))


_shared = itemgetter(*SHARED_FIELDS)  # the shared fields' values of a topk block's __dict__, in one call


@lru_cache(maxsize=1024)
def _topk_params(engine: str, shared: tuple, own: tuple, input_parallelism: int) -> TopKParams:
    """:func:`topk_params` by the engine and its fields' values (``own``: the engine's own, as pairs),
    cached: a sweep's points share a few, and checking one costs more than timing a point on the fast
    path."""
    fields = dict(zip(SHARED_FIELDS, shared, strict=True)) | dict(own)
    return ENGINES[engine].params_type(**fields, input_parallelism=input_parallelism)


def softmax_params(hw: Hardware) -> SoftmaxParams | None:
    """The params object of ``hw``'s softmax unit (shared with its RTL): ``softmax.parallelism`` lanes and
    row buffers of ``softmax.fifo_depth`` beats (SpAtten Sec. IV-C: 128 x 8 = 1024 scores, the longest
    row); None where the RTL cannot be built so (a parallelism or row length that is not a power of two)."""
    p, rows = hw.softmax.parallelism, hw.softmax.parallelism * hw.softmax.fifo_depth
    if rows & (rows - 1):
        return None
    try:
        return SoftmaxParams(parallelism=p, index_width=rows.bit_length() - 1)
    except ValueError:
        return None


def requant_params(hw: Hardware) -> RequantParams | None:
    """The params object of ``hw``'s requant decision unit: one lane per softmax lane; None where the
    parallelism is not a power of two."""
    try:
        return RequantParams(parallelism=hw.softmax.parallelism)
    except ValueError:
        return None


def ceil_div(a: np.ndarray, b: float) -> np.ndarray:
    return np.ceil(np.asarray(a, dtype=np.float64) / b)


def array_cycles(rows: np.ndarray, d: np.ndarray, unit: MulArray) -> np.ndarray:
    """Cycles to multiply ``rows`` vectors of length ``d`` on a multiplier array with adder tree.

    SpAtten Sec. IV-B: 512 multipliers score 512/D key rows per cycle; a row longer than the
    array takes ceil(D / multipliers) cycles.
    """
    d = np.asarray(d, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.float64)
    per_cycle = np.floor(unit.multipliers / np.maximum(d, 1))
    return np.where(per_cycle >= 1, np.ceil(rows / np.maximum(per_cycle, 1)),
                    rows * np.ceil(d / unit.multipliers))


def dram_cycles(nbytes: np.ndarray, dram: Dram, clock_ghz: float, fetcher_ports: int) -> np.ndarray:
    """Cycles the channels are busy streaming ``nbytes`` (rounded up to whole transactions).

    Transactions interleave over channels (SpAtten RTL: 32-byte blocks by address bits,
    SpAtten.scala:138-141), so a stream sees the aggregate rate of the channels: each channel's
    peak, or less where its outstanding-request limit binds (Little's law,
    :attr:`Dram.sustained_gbs`); the fetcher's data FIFOs cap it at ports x 16 B per cycle.
    """
    txn = dram.transaction_bytes
    moved = np.ceil(np.asarray(nbytes, dtype=np.float64) / txn) * txn
    rate = min(dram.sustained_gbs / clock_ghz, fetcher_ports * FIFO_PORT_BYTES)
    return moved / rate


def transactions(nbytes: np.ndarray, dram: Dram) -> np.ndarray:
    return np.ceil(np.asarray(nbytes, dtype=np.float64) / dram.transaction_bytes)


def dram_latency(hw: Hardware) -> float:
    """Idle access latency in core cycles."""
    return hw.dram.latency_ns * hw.clock_ghz
