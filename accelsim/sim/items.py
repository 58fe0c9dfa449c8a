"""Work items for the event engine: a WorkPlan's requests, prefill ones split into query tiles,
with each unit's service cycles computed vectorized for one hardware config."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.units import array_cycles, dram_cycles, topk_params
from accelsim.topk import TopKEngine, get_engine
from accelsim.workplan import TOPK_KINDS, WorkPlan, request_bytes

TILE_QUERIES = 16  # prefill queries per work item: fine enough to pipeline, coarse enough to be fast


def topk_engine(hw: Hardware) -> TopKEngine:
    """The engine of ``hw.topk``; a bad name or bad parameters raise :class:`InputError`."""
    try:
        return get_engine(hw.topk.engine, topk_params(hw))
    except (KeyError, ValueError) as err:
        raise InputError(None, "hardware.topk", str(err).strip("'\"")) from None


def engine_roles(count: int) -> tuple[int, int]:
    """(token/head engines, value engines) of a design with ``count`` top-k engines.

    One engine takes every job; otherwise ``count // 2`` take token/head jobs and the rest (one
    more for odd counts) value jobs, each kind dealt round-robin over its engines.
    """
    return (1, 1) if count <= 1 else (count // 2, count - count // 2)


def round_robin(has_job: np.ndarray, engines: int) -> np.ndarray:
    """Engine (0 to ``engines - 1``) of each entry with a job, dealt in order; -1 where none."""
    has_job = np.asarray(has_job, bool)
    return np.where(has_job, (np.cumsum(has_job) - 1) % engines, -1)


def job_cycles(plan: WorkPlan, engine: TopKEngine,
               in_flight: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycles of each top-k job: taking its scores in, then in the engine's selection stage after
    the last score, and in its output stage.

    With ``in_flight`` 1 a job holds the whole engine, so its output cycles count as selection.
    """
    t = plan.topk
    if not len(t):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    n, k = t["n"].to_numpy(), t["k"].to_numpy()
    total = engine.cycles(n, k, plan.pass_sizes, t["pass_start"].to_numpy(),
                          t["pass_count"].to_numpy()).astype(np.float64)
    fill = np.where(k > 0, engine.input_cycles(n), 0).astype(np.float64)
    out = engine.output_cycles(n, k).astype(np.float64) if in_flight > 1 else np.zeros(len(t))
    return fill, total - out, out


@dataclass(frozen=True)
class Tiling:
    """How a plan's requests split into work items: prefill requests into tiles of queries."""

    owner: np.ndarray  # request of each item
    first: np.ndarray  # item is its request's first tile
    share: np.ndarray  # item's share of its request's work
    single: np.ndarray  # item is its request's only tile

    @classmethod
    def of(cls, plan: WorkPlan) -> Tiling:
        r = plan.requests
        queries = r["queries"].to_numpy(np.int64)
        ntiles = np.where(r["prefill"].to_numpy(), np.ceil(queries / TILE_QUERIES), 1).astype(np.int64)
        ntiles = np.maximum(ntiles, 1)
        owner = np.repeat(np.arange(len(r)), ntiles)
        first = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, bool)
        return cls(owner, first, 1.0 / ntiles[owner], ntiles[owner] == 1)


def fetched_bytes(plan: WorkPlan, hw: Hardware, tiling: Tiling) -> dict[str, np.ndarray]:
    """Bytes each item fetches: ``side``, ``k`` (side bytes included), ``lsb`` and ``v``.

    A prefill request whose keys fit in one half of the double-buffered key SRAM fetches them once
    and reuses them for all its query tiles (SpAtten Sec. IV-B); otherwise every tile re-fetches.
    """
    r = plan.requests
    d = r["d"].to_numpy(np.float64)
    kbytes, lbytes, vbytes, sbytes = request_bytes(r)
    k_fits = r["keys"].to_numpy(np.float64) * d * hw.qk.bits / 8 <= hw.sram.key_kb * 1024 / 2
    v_fits = r["values"].to_numpy(np.float64) * d * hw.pv.bits / 8 <= hw.sram.value_kb * 1024 / 2
    owner, first = tiling.owner, tiling.first

    def fetched(total: np.ndarray, fits: np.ndarray) -> np.ndarray:
        reuse = fits[owner] | tiling.single
        return np.where(reuse, np.where(first, total[owner], 0.0), total[owner])

    side = fetched(sbytes, k_fits)  # fetched with the keys (VQ ids, codebooks, scales)
    return {"side": side, "k": fetched(kbytes, k_fits) + side, "lsb": fetched(lbytes, k_fits),
            "v": fetched(vbytes, v_fits)}


def build_items(plan: WorkPlan, hw: Hardware, jobs: tuple[np.ndarray, ...]) -> pd.DataFrame:
    """One row per work item with its bytes and per-unit cycles (column names as used by the engine)."""
    r = plan.requests
    n = len(r)
    d = r["d"].to_numpy(np.float64)
    tiling = Tiling.of(plan)
    owner, share = tiling.owner, tiling.share
    b = fetched_bytes(plan, hw, tiling)
    items = pd.DataFrame({"request": owner, "side_bytes": b["side"], "k_bytes": b["k"],
                          "lsb_bytes": b["lsb"], "v_bytes": b["v"]})
    for col in ("k_bytes", "lsb_bytes", "v_bytes"):
        items[col.replace("bytes", "dram")] = dram_cycles(items[col].to_numpy(), hw.dram,
                                                          hw.clock_ghz, hw.fetcher.ports)
    qk_rows = r["qk_rows"].to_numpy(np.float64)[owner] * share
    rq_rows = r["requant_rows"].to_numpy(np.float64)[owner] * share
    pv_rows = r["pv_rows"].to_numpy(np.float64)[owner] * share
    items["qk"] = array_cycles(qk_rows, d[owner], hw.qk)
    items["sm"] = np.ceil(qk_rows / hw.softmax.parallelism)
    items["rq_qk"] = array_cycles(rq_rows, d[owner], hw.qk)
    items["rq_sm"] = np.ceil(rq_rows / hw.softmax.parallelism)
    items["pv"] = array_cycles(pv_rows, d[owner], hw.pv)
    t = plan.topk
    is_v = t["kind"].to_numpy() == TOPK_KINDS.index("value")
    for col, cycles in zip(("vtopk_in", "vtopk", "vtopk_out"), jobs, strict=True):
        vt = np.zeros(n)
        np.add.at(vt, t["request"].to_numpy()[is_v], cycles[is_v])
        items[col] = vt[owner] * share
    return items
