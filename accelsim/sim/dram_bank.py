"""Bank-aware DRAM service times for the event engine (``dram.model: bank``).

Every fetch a plan issues is turned into the DRAM accesses of the rows it reads (K MSB plane,
K LSB plane, values; :mod:`accelsim.hw.kv_layout`), and the whole stream runs through the
bank-aware model once, in issue order. A fetch's service time is how far it pushes the stream's
completion: the time from the previous fetch's last data to its own. The event engine then uses
those times in place of bytes / peak bandwidth, so row misses, conflicts and refresh slow it down.
Kept-row indices come from the plan when known; otherwise a seeded choice per request.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.dram import DramModel, DramSpec, DramStats, load_dram, write_trace
from accelsim.hw.kv_layout import KVLayout, kept_rows
from accelsim.workplan import WorkPlan

FETCHES = (("k", "key_msb", "keys"), ("lsb", "key_lsb", "lsb_keys"), ("v", "value", "values"))


def fetch_addresses(plan: WorkPlan, items: pd.DataFrame, access_bytes: int
                    ) -> tuple[list[np.ndarray], list[tuple[str, int]]]:
    """DRAM access addresses of every fetch, in issue order, with its (fetch key, item) slot."""
    r = plan.requests
    layout = KVLayout(
        layers=int(r["layer"].max()) + 1, heads=int(r["head"].max()) + 1,
        max_tokens=int(r["context"].max()), d=int(r["d"].max()),
        key_msb_bits=int(r["key_bits"].max()), key_lsb_bits=int(r["lsb_bits"].max()),
        value_bits=int(r["value_bits"].max()), align=access_bytes,
    )
    step, layer, head = r["step"].to_numpy(), r["layer"].to_numpy(), r["head"].to_numpy()
    context = r["context"].to_numpy()
    counts = {col: r[col].to_numpy() for _, _, col in FETCHES}
    nbytes = {key: items[f"{key}_bytes"].to_numpy() for key, _, _ in FETCHES}
    known = {"keys": plan.rows_of("keys"), "values": plan.rows_of("values")}
    known["lsb_keys"] = known["keys"]  # LSBs are re-fetched for the first lsb_keys of the key rows
    addrs: list[np.ndarray] = []
    slots: list[tuple[str, int]] = []
    for i, q in enumerate(items["request"].to_numpy()):
        seed = (int(step[q]) * 1_000_003 + int(layer[q])) * 1_009 + int(head[q])
        for key, region, col in FETCHES:
            if nbytes[key][i] <= 0:
                continue
            n = int(counts[col][q])
            if known[col] is not None:
                idx, start = known[col]
                rows = idx[start[q]: start[q] + n]
            else:
                rows = kept_rows(n, int(context[q]), seed + (region == "value"))
            addrs.append(layout.accesses(region, int(layer[q]), int(head[q]), rows, access_bytes))
            slots.append((key, i))
    return addrs, slots


def dram_spec(hw: Hardware) -> DramSpec:
    try:
        return load_dram(hw.dram.preset)
    except (KeyError, ValueError) as err:
        raise InputError(None, "hardware.dram.preset", str(err)) from None


def bank_service(plan: WorkPlan, items: pd.DataFrame, hw: Hardware
                 ) -> tuple[dict[str, np.ndarray], DramStats]:
    """Core-cycle service time of each item's K, LSB and V fetch, and the DRAM totals."""
    spec = dram_spec(hw)
    model = DramModel(spec, issue=hw.dram.issue)
    addrs, slots = fetch_addresses(plan, items, spec.organisation.access_bytes)
    out = {key: np.zeros(len(items)) for key, _, _ in FETCHES}
    if not addrs:
        return out, model.stats()
    lengths = np.array([len(a) for a in addrs])
    res = model.simulate(np.concatenate(addrs))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ends = np.maximum.accumulate(np.maximum.reduceat(res.completion, starts).astype(np.float64))
    service = np.diff(np.concatenate([[0.0], ends])) * spec.timing.tCK_ns * hw.clock_ghz
    for (key, i), t in zip(slots, service, strict=True):
        out[key][i] = t
    return out, model.stats()


def export_trace(path: Path, fmt: str, plan: WorkPlan, items: pd.DataFrame, hw: Hardware,
                 fetch_start: dict[tuple[str, int], float]) -> int:
    """Write the run's DRAM reads as a DRAMsim3 or Ramulator2 trace; returns the line count.

    Each access carries the memory cycle its fetch started in the event engine.
    """
    spec = dram_spec(hw)
    addrs, slots = fetch_addresses(plan, items, spec.organisation.access_bytes)
    to_mem = 1.0 / (hw.clock_ghz * spec.timing.tCK_ns)
    start = np.array([fetch_start[s] * to_mem for s in slots])
    lengths = np.array([len(a) for a in addrs], dtype=np.int64)
    addr = np.concatenate(addrs) if addrs else np.zeros(0, np.int64)
    cycle = np.repeat(np.floor(start).astype(np.int64), lengths)
    order = np.argsort(cycle, kind="stable")
    return write_trace(path, addr[order], cycle[order], fmt=fmt)
