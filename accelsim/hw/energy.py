"""Energy and area by component, from a WorkPlan's operation counts and the technology table."""

from __future__ import annotations

import numpy as np

from accelsim.config.hardware import Hardware
from accelsim.hw.tech import tech_table
from accelsim.topk import TopKEngine
from accelsim.workplan import WorkPlan


def op_counts(plan: WorkPlan, engine: TopKEngine | None) -> dict[str, float]:
    """Hardware-independent operation counts of a plan."""
    r = plan.requests
    d = r["d"].to_numpy(np.float64)
    counts = {
        "qk_macs": float((d * (r["qk_rows"] + r["requant_rows"])).sum()),
        "pv_macs": float((d * r["pv_rows"]).sum()),
        "softmax_elems": float((r["qk_rows"] + r["requant_rows"]).sum()),
        "key_rows": float(r["keys"].sum()),
        "lsb_rows": float(r["lsb_keys"].sum()),
        "value_rows": float(r["values"].sum()),
        "key_reads": float((d * (r["qk_rows"] + r["requant_rows"])).sum()),
        "value_reads": float((d * r["pv_rows"]).sum()),
        "key_writes": float((d * r["keys"]).sum()),
        "value_writes": float((d * r["values"]).sum()),
        "comparisons": 0.0,
    }
    t = plan.topk
    if engine is not None and len(t):
        counts["comparisons"] = float(engine.comparisons(
            t["n"].to_numpy(), plan.pass_sizes, t["pass_start"].to_numpy(),
            t["pass_count"].to_numpy()).sum())
    return counts


def energy_by(counts: dict[str, float], dram_bytes: float, hw: Hardware) -> dict[str, float]:
    """Energy in joules per component."""
    e = tech_table(hw.tech_nm).energy_pj
    # on-chip elements per 64-bit SRAM access; the bitwidth converter widens DRAM data to the
    # arrays' operand width (SpAtten Sec. IV: 12 bits)
    kword, vword = 64 / hw.qk.bits, 64 / hw.pv.bits
    pj = {
        "dram": dram_bytes * 8 * hw.dram.pj_per_bit,
        "fetcher": dram_bytes * 8 * e.fifo_bit,
        "sram_key": (counts["key_reads"] + counts["key_writes"]) / kword * e.sram_64b,
        "sram_value": (counts["value_reads"] + counts["value_writes"]) / vword * e.sram_64b,
        "qk": counts["qk_macs"] * (e.mult12 + e.add_tree),
        "softmax": counts["softmax_elems"] * e.softmax_elem,
        "pv": counts["pv_macs"] * (e.mult12 + e.add_tree),
        "topk": counts["comparisons"] * (e.compare12 + 2 * hw.topk.width * e.fifo_bit),
    }
    return {k: v * 1e-12 for k, v in pj.items()}


def area_by(hw: Hardware) -> dict[str, float]:
    """Area in mm^2 per component (DRAM is off chip and not counted)."""
    a = tech_table(hw.tech_nm).area_um2
    f = hw.fetcher
    fifo_bits = f.ports * f.fifo_depth * (16 + 8) * 8  # data 16 B + address 8 B entries (Sec. IV-A)
    tk = hw.topk
    topk_bits = 3 * tk.fifo_depth * (tk.width + 10)  # FIFO_L, FIFO_R and the filter FIFO
    um2 = {
        "fetcher": fifo_bits * a.ff_bit,
        "qk": hw.qk.multipliers * (a.mult12 + a.add_tree),
        "softmax": hw.softmax.parallelism * a.softmax_lane,
        "pv": hw.pv.multipliers * (a.mult12 + a.add_tree),
        "topk": tk.count * (2 * tk.parallelism * a.compare12 + topk_bits * a.ff_bit),
        "sram_key": hw.sram.key_kb * 8192 * a.sram_bit,
        "sram_value": hw.sram.value_kb * 8192 * a.sram_bit,
    }
    return {k: v * 1e-6 for k, v in um2.items()}
