"""The SpAtten authors' behaviour model (mit-han-lab/spatten, ``spatten_hardware/simulator/src/bert.cpp``)
as a timing mode: per layer, DRAM + pipeline fill + drain + top-k cycles, added serially.

Per layer (a run of profiles, one per head; ``accelsim.sim.bertcpp_profiles``), with
``par = multipliers // D`` key rows scored per cycle and ``batch = ceil(fetch / par)``:

- DRAM: ``batch * par * D * width // 8 // 32`` transactions of 32 B for keys and again for values
  (widths of 6 or above 8 count as 8), each spread over the channels (``ceil(t / channels)``),
  summed over heads; one transaction per channel per cycle (``simDRAM``, ``useRamulator=false``);
- fill: ``L * batch`` summed over heads (``simFillPipeline``);
- drain: of the layer's last head only, ``11 + (7 + 21 + 23 + 29 + 7 + batch) + 1 + 1 + 3``
  (``simDrainPipeline``: key matrix, softmax with its FIFO, requantize, top-k, value matrix);
- top-k: for each head with ``if_topk``, a random-pivot quick-select on ``fetch`` random scores
  (``simTopK``): ``batch`` fill cycles, ``size // size_ze + 4`` per partition pass and
  ``ceil(k / par)`` drain; the seeds are 0, 1, 2, ... over the layer's top-k heads.

The random numbers follow bert.cpp exactly: ``std::mt19937(seed)`` is MT19937 with Matsumoto and
Nishimura's ``init_genrand`` seeding (numpy's legacy ``RandomState`` seeding), and
``std::uniform_int_distribution<int>`` is ported from libstdc++ 11+ (``bits/uniform_int_dist.h``:
Lemire's nearly divisionless method on 32-bit draws). bert.cpp's pivot index is drawn from
``[0, size]``: index ``size`` reads one element past the vector, an out-of-bounds read whose value
depends on the heap. Here it is a pivot below every score (zero or a small allocator header, which
it reads most often): the pass partitions nothing into ``left``, so the selection ends after that
pass. Top-k cycles therefore agree with the binary in distribution, and exactly for every job whose
selection never draws the out-of-bounds index (docs/behavioural.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accelsim.config.base import Strict
from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.units import ItemWork, Unit

TRANSACTION_BYTES = 32  # bert.cpp simDRAM: "/ 8 / 32", one 32-byte transaction per channel per cycle
DRAIN_FIXED = 11 + (7 + 21 + 23 + 29 + 7) + 1 + 1 + 3  # bert.cpp simDrainPipeline: 103 + batch
PASS_OVERHEAD = 1 + 1 + 1 + 1  # bert.cpp simTopK: comparators, zero eliminator, FIFO, stateAfterRun
BREAKDOWN = ["dram", "fill", "drain", "topk"]


@dataclass(frozen=True)
class BehaviouralParams:
    """bert.cpp's command-line parameters.

    Members
    -------
    channels : DRAM channels (bert.cpp argv[1], default 16).
    multipliers : multipliers per array (argv[2], default 512; bert.cpp prints "512 * 2").
    size_ze : comparators per cycle of the top-k engine's zero eliminator (argv[3], default 4;
        printed as "TopK parallelism").
    """

    channels: int = 16
    multipliers: int = 512
    size_ze: int = 4

    def __post_init__(self) -> None:
        for name in ("channels", "multipliers", "size_ze"):
            val = getattr(self, name)
            if not isinstance(val, int) or isinstance(val, bool) or val < 1:
                raise ValueError(f"{name} must be a positive integer, not {val!r}")

    @classmethod
    def from_hardware(cls, hw: Hardware) -> BehaviouralParams:
        """channels = ``dram.channels``, multipliers = ``qk.multipliers``, size_ze = ``topk.parallelism``
        (the authors' TopK.scala builds its zero eliminator ``parallelism`` wide).

        bert.cpp moves one 32-byte transaction per channel per cycle; a config whose channels move a
        different number of bytes per core cycle, or that asks for the bank-aware DRAM model, is refused.
        """
        per_cycle = hw.dram.channel_gbs / hw.clock_ghz
        if per_cycle != TRANSACTION_BYTES or hw.dram.transaction_bytes != TRANSACTION_BYTES:
            raise InputError(None, "hardware.dram", "the spatten-behavioural timing moves one 32-byte transaction "
                             f"per channel per cycle (bert.cpp); this config moves {per_cycle:g} B per channel "
                             f"per cycle in {hw.dram.transaction_bytes}-byte transactions")
        if hw.dram.model != "bandwidth":
            raise InputError(None, "hardware.dram.model", "the spatten-behavioural timing has its own DRAM model; "
                             f"use model: bandwidth, not {hw.dram.model!r}")
        return cls(channels=hw.dram.channels, multipliers=hw.qk.multipliers, size_ze=hw.topk.parallelism)


def layer_breakdown(
    profiles: pd.DataFrame, params: BehaviouralParams, units: Sequence[tuple[Unit, Strict]] = ()
) -> pd.DataFrame:
    """Cycles of each bert.cpp layer: ``group`` (0, 1, ...), ``layer_id``, ``step``, ``layer``,
    ``heads``, then ``dram``, ``fill``, ``drain``, ``topk``, a column per plug-in unit of ``units``
    and their sum ``cycles``; plus the bytes of the key and value transactions, ``key_bytes`` and
    ``value_bytes``.

    A plug-in unit (``accelsim.units``, not in bert.cpp) is added serially as bert.cpp adds its
    stages: its cycles on each head (a head one work item: ``length`` queries scoring and
    multiplying ``fetch`` rows) and its latency once per layer, with the drain; its DRAM requests
    (``Unit.dram``) as bert.cpp's: 32-byte transactions spread over the channels, added to its column,
    their bytes in ``<unit>_bytes``. Serial stages never wait on one another, so a unit's queue
    (``Unit.queue``) never binds here."""
    p = profiles
    d = p["d"].to_numpy(np.int64)
    if (d > params.multipliers).any():
        raise InputError(None, "embedding_length_D", f"head dimension {int(d.max())} exceeds the "
                         f"{params.multipliers} multipliers (bert.cpp would divide by zero)")
    par = params.multipliers // d
    fetch = p["fetch"].to_numpy(np.int64)
    batch = -(-fetch // par)
    key_t = batch * par * d * _width(p["key_bits"].to_numpy(np.int64)) // 8 // TRANSACTION_BYTES
    val_t = batch * par * d * _width(p["value_bits"].to_numpy(np.int64)) // 8 // TRANSACTION_BYTES
    ch = params.channels
    label = p["layer_id"].to_numpy(np.int64)
    group = np.cumsum(np.r_[True, label[1:] != label[:-1]]) - 1 if len(p) else np.zeros(0, np.int64)
    last = np.r_[group[1:] != group[:-1], True] if len(p) else np.zeros(0, bool)
    topk = np.zeros(len(p), np.int64)
    rows = np.flatnonzero(p["topk"].to_numpy(bool))
    seeds = _seeds(group[rows])
    for i, seed in zip(rows, seeds, strict=True):
        topk[i] = quickselect_cycles(int(fetch[i]), int(p["topk_k"].iat[i]), int(par[i]), params.size_ze, int(seed))
    per = pd.DataFrame({
        "group": group, "dram": -(-key_t // ch) - (-val_t // ch), "fill": p["length"].to_numpy(np.int64) * batch,
        "drain": np.where(last, DRAIN_FIXED + batch, 0), "topk": topk,
        "key_bytes": key_t * TRANSACTION_BYTES, "value_bytes": val_t * TRANSACTION_BYTES,
    })
    if units:
        length = p["length"].to_numpy(np.float64)
        work = ItemWork(queries=length, d=d.astype(np.float64), scores=length * fetch, pv_rows=length * fetch)
        for unit, up in units:
            per[unit.name] = unit.cycles(up, work) + np.where(last, unit.latency(up), 0.0)
            moved = unit.dram(up, work)
            if moved is not None:
                txn = np.ceil((np.asarray(moved[0], np.float64) + moved[1]) / TRANSACTION_BYTES)
                per[unit.name] += np.ceil(txn / ch)
                per[f"{unit.name}_bytes"] = txn * TRANSACTION_BYTES
    out = per.groupby("group", sort=True).sum()
    firsts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(p) else np.zeros(0, np.int64)
    out.insert(0, "heads", np.bincount(group, minlength=len(firsts)) if len(p) else [])
    for col in ("layer", "step", "layer_id"):
        out.insert(0, col, p[col].to_numpy(np.int64)[firsts])
    out["cycles"] = out[[*BREAKDOWN, *(unit.name for unit, _ in units)]].sum(axis=1)
    return out.reset_index()


def _width(bits: np.ndarray) -> np.ndarray:
    """bert.cpp main(): a width of 6 or above 8 is fetched as 8 bits."""
    return np.where((bits == 6) | (bits > 8), 8, bits)


def _seeds(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each layer (bert.cpp run(): ``for (int seed = 0; ...) seed++``)."""
    if not len(group):
        return np.zeros(0, np.int64)
    start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return np.arange(len(group)) - np.repeat(start, np.diff(np.r_[start, len(group)]))


class _StdMt19937:
    """``std::mt19937(seed)`` with libstdc++'s ``uniform_int_distribution<int>`` on top."""

    def __init__(self, seed: int) -> None:
        self._bits = np.random.MT19937()
        self._bits.state = np.random.RandomState(seed).get_state(legacy=False)  # init_genrand(seed)

    def scores(self, n: int) -> np.ndarray:
        """``uniform_int_distribution<int>()`` n times: [0, INT_MAX], i.e. 2^31 values, which
        Lemire's method maps to ``draw >> 1`` with no rejection."""
        return (self._bits.random_raw(n) >> 1).astype(np.int64)

    def below(self, span: int) -> int:
        """``uniform_int_distribution<int>(0, span - 1)``: Lemire's nearly divisionless method."""
        product = int(self._bits.random_raw()) * span
        low = product & 0xFFFFFFFF
        if low < span:
            threshold = (2**32 - span) % span
            while low < threshold:
                product = int(self._bits.random_raw()) * span
                low = product & 0xFFFFFFFF
        return product >> 32


def quickselect_cycles(fetch: int, k: int, parallelism: int, size_ze: int, seed: int) -> int:
    """bert.cpp ``simTopK``: cycles of its random-pivot quick-select keeping ``k`` of ``fetch`` random
    scores, ``parallelism`` scores per cycle in and out, ``size_ze`` compared per cycle.

    Ported as written, including its branch order (it keeps ``left`` while ``left`` holds fewer
    than k) and its unsigned ``K`` (``K -= ...`` wraps modulo 2^64).
    """
    rng = _StdMt19937(seed)
    cycles = -(-fetch // parallelism)  # fill buffer
    seq = rng.scores(fetch)
    remaining = k
    while len(seq):
        at = rng.below(len(seq) + 1)  # bert.cpp: uniform_int_distribution(0, seq.size()), inclusive
        cycles += len(seq) // size_ze + PASS_OVERHEAD
        if at == len(seq):  # out of bounds in bert.cpp: a pivot below every score leaves `left` empty
            break
        pivot = seq[at]
        left = seq[seq < pivot]
        equal = int(np.count_nonzero(seq == pivot))
        if len(left) < remaining:
            if len(left) + equal >= remaining:
                break
            seq = left
        else:
            seq = seq[seq > pivot]
            remaining = (remaining - len(left) - equal) % 2**64
    return cycles + -(-k // parallelism)  # drain buffer
