"""Hardware-independent work counts of a WorkPlan, and the per-unit action counts they imply on one
design (the ``actions_by`` of a result, which users can re-price with their own tables)."""

from __future__ import annotations

import numpy as np

from accelsim.config.hardware import Hardware
from accelsim.hw.units import FIFO_PORT_BYTES
from accelsim.topk import TopKEngine
from accelsim.units import stages
from accelsim.workplan import WorkPlan

FIFO_PORT_BITS = 8 * FIFO_PORT_BYTES  # a fetcher data FIFO entry (the timing model's port width)
ADDR_BITS = 64  # SpAtten Sec. IV-A: 8 B address FIFO entries


def op_counts(plan: WorkPlan, engine: TopKEngine | None) -> dict[str, float]:
    """Hardware-independent operation counts of a plan.

    ``*_bits`` are element-bits: a key row of ``d`` elements read at ``b`` bits counts ``d * b``
    (the K/V buffers are bit-plane organised, so a row read at fewer bits reads fewer planes).
    """
    r = plan.req_table
    d = r["d"].astype(np.float64)
    col = {c: r[c].astype(np.float64) for c in (
        "qk_rows", "requant_rows", "pv_rows", "keys", "lsb_keys", "values", "key_bits", "lsb_bits",
        "value_bits", "lo_keys", "lo_values", "lo_bits")}
    keys, values = np.maximum(col["keys"], 1), np.maximum(col["values"], 1)
    kbits = ((col["keys"] - col["lo_keys"]) * col["key_bits"] + col["lo_keys"] * col["lo_bits"]) / keys
    vbits = ((col["values"] - col["lo_values"]) * col["value_bits"] + col["lo_values"] * col["lo_bits"]) / values
    counts = {
        "qk_macs": float((d * (col["qk_rows"] + col["requant_rows"])).sum()),
        "pv_macs": float((d * col["pv_rows"]).sum()),
        "softmax_elems": float((col["qk_rows"] + col["requant_rows"]).sum()),
        "key_read_bits": float((d * (col["qk_rows"] * kbits + col["requant_rows"] * (kbits + col["lsb_bits"]))).sum()),
        "key_write_bits": float((d * (col["keys"] * kbits + col["lsb_keys"] * col["lsb_bits"])).sum()),
        "value_read_bits": float((d * col["pv_rows"] * vbits).sum()),
        "value_write_bits": float((d * col["values"] * vbits).sum()),
        "comparisons": 0.0,
        "queries": float(r["queries"].sum()),
        "scores": float(col["qk_rows"].sum()),  # probabilities after the requant decision
        "out_elems": float((d * r["queries"].astype(np.float64)).sum()),  # attention output elements
    }
    t = plan.topk_table
    if engine is not None and len(t):
        counts["comparisons"] = float(
            engine.comparisons(t["n"], plan.pass_sizes, t["pass_start"], t["pass_count"]).sum())
    return counts


def actions(counts: dict[str, float], dram_bytes: float, hw: Hardware) -> dict[str, float]:
    """Action counts per unit on ``hw``, named ``<unit>_<action>``.

    SRAM actions are line accesses of one bit-plane macro (``hw.qk.multipliers`` bits wide for
    keys, ``hw.pv.multipliers`` for values); fetcher actions are 16-byte data beats and
    ``hw.dram.transaction_bytes`` address transactions; a top-k item visit is one comparison with
    one read and one write of the engine's buffers. Plug-in units (``accelsim.units``) count their own.
    """
    beats = dram_bytes * 8 / FIFO_PORT_BITS
    txns = dram_bytes / hw.dram.transaction_bytes
    out = {
        "qk_mac": counts["qk_macs"],
        "pv_mac": counts["pv_macs"],
        "softmax_elem": counts["softmax_elems"],
        "topk_compare": counts["comparisons"],
        "sram_key_read": counts["key_read_bits"] / hw.qk.multipliers,
        "sram_key_write": counts["key_write_bits"] / hw.qk.multipliers,
        "sram_value_read": counts["value_read_bits"] / hw.pv.multipliers,
        "sram_value_write": counts["value_write_bits"] / hw.pv.multipliers,
        "sram_requant_beat": counts["softmax_elems"] / hw.softmax.parallelism,
        "sram_fifo_beat": beats,
        "sram_fifo_txn": txns,
        "fetcher_beat": beats,
        "fetcher_txn": txns,
        "dram_burst": txns,
    }
    for unit, params in stages(hw):
        out.update({f"{unit.name}_{a}": n for a, n in unit.actions(params, counts).items()})
    return out
