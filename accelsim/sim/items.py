"""Work items for the event engine: a WorkPlan's requests, prefill ones split into query tiles,
with each unit's service cycles computed vectorized for one hardware config."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.units import array_cycles, dram_cycles
from accelsim.topk import TopKEngine, TopKParams, get_engine
from accelsim.workplan import TOPK_KINDS, WorkPlan

TILE_QUERIES = 16  # prefill queries per work item: fine enough to pipeline, coarse enough to be fast


def topk_engine(hw: Hardware) -> TopKEngine:
    t = hw.topk
    try:
        return get_engine(t.engine, TopKParams(parallelism=t.parallelism, width=t.width,
                                               fifo_depth=t.fifo_depth))
    except (KeyError, ValueError) as err:
        raise InputError(None, "hardware.topk", str(err).strip("'\"")) from None


def job_cycles(plan: WorkPlan, engine: TopKEngine) -> np.ndarray:
    t = plan.topk
    if not len(t):
        return np.zeros(0)
    return engine.cycles(t["n"].to_numpy(), t["k"].to_numpy(), plan.pass_sizes,
                         t["pass_start"].to_numpy(), t["pass_count"].to_numpy()).astype(np.float64)


def build_items(plan: WorkPlan, hw: Hardware, jobs: np.ndarray) -> pd.DataFrame:
    """One row per work item with its bytes and per-unit cycles (column names as used by the engine).

    A prefill request whose keys fit in one half of the double-buffered key SRAM fetches them once
    and reuses them for all its query tiles (SpAtten Sec. IV-B); otherwise every tile re-fetches.
    """
    r = plan.requests
    n = len(r)
    d = r["d"].to_numpy(np.float64)
    queries = r["queries"].to_numpy(np.int64)
    ntiles = np.where(r["prefill"].to_numpy(), np.ceil(queries / TILE_QUERIES), 1).astype(np.int64)
    ntiles = np.maximum(ntiles, 1)
    owner = np.repeat(np.arange(n), ntiles)
    first = np.r_[True, owner[1:] != owner[:-1]]
    share = 1.0 / ntiles[owner]

    kbytes = (r["keys"] * r["d"] * r["key_bits"]).to_numpy(np.float64) / 8
    lbytes = (r["lsb_keys"] * r["d"] * r["lsb_bits"]).to_numpy(np.float64) / 8
    vbytes = (r["values"] * r["d"] * r["value_bits"]).to_numpy(np.float64) / 8
    onchip_k = r["keys"].to_numpy(np.float64) * d * hw.qk.bits / 8
    onchip_v = r["values"].to_numpy(np.float64) * d * hw.pv.bits / 8
    k_fits = onchip_k <= hw.sram.key_kb * 1024 / 2
    v_fits = onchip_v <= hw.sram.value_kb * 1024 / 2
    k_reuse = k_fits[owner] | (ntiles[owner] == 1)
    v_reuse = v_fits[owner] | (ntiles[owner] == 1)

    def fetched(total: np.ndarray, reuse: np.ndarray) -> np.ndarray:
        return np.where(reuse, np.where(first, total[owner], 0.0), total[owner])

    items = pd.DataFrame({
        "request": owner,
        "k_bytes": fetched(kbytes, k_reuse),
        "lsb_bytes": fetched(lbytes, k_reuse),
        "v_bytes": fetched(vbytes, v_reuse),
    })
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
    vt = np.zeros(n)
    t = plan.topk
    if len(t):
        is_v = t["kind"].to_numpy() == TOPK_KINDS.index("value")
        np.add.at(vt, t["request"].to_numpy()[is_v], jobs[is_v])
    items["vtopk"] = vt[owner] * share
    return items
