"""DRAM cost of GPT-2-small-shaped K/V fetches as pruning keeps fewer tokens (docs/dram.md).

Covers: ``KVLayout`` + ``kept_rows`` + ``DramModel`` on ``hbm2-spatten``, per-channel issue.
Scenario: 12 layers x 12 heads x 1024 tokens, d = 64; every head's kept key rows (8-bit MSB
plane) and value rows (8-bit) are fetched, head after head, as one stream that arrives at cycle 0
(as ``accelsim.sim.dram_bank`` issues a run's fetches).
Kept rows are a seeded random share of the 1024 (``kept_rows``), so the table is reproducible.

Usage: ``python benchmarks/dram_gpt2_fetch.py``
"""

from __future__ import annotations

import numpy as np

from accelsim.hw.dram import DramModel
from accelsim.hw.kv_layout import KVLayout, kept_rows

LAYERS, HEADS, TOKENS, D = 12, 12, 1024, 64  # GPT-2 small
KEEP = (1.0, 0.5, 0.2)  # shares of token rows kept


def main() -> None:
    layout = KVLayout(layers=LAYERS, heads=HEADS, max_tokens=TOKENS, d=D, key_msb_bits=8,
                      key_lsb_bits=4, value_bits=8)
    print("| tokens kept | accesses | cycles | GB/s | row-hit rate | energy |")
    print("|---:|---:|---:|---:|---:|---:|")
    for keep in KEEP:
        fetches = []
        for layer in range(LAYERS):
            for head in range(HEADS):
                rows = kept_rows(round(keep * TOKENS), TOKENS, seed=layer * HEADS + head)
                fetches += [layout.accesses(region, layer, head, rows, access_bytes=32)
                            for region in ("key_msb", "value")]
        addr = np.concatenate(fetches)
        dram = DramModel("hbm2-spatten", issue="per-channel")
        dram.simulate(addr, np.zeros(len(addr), dtype=np.int64))
        accesses = len(addr)
        s = dram.stats()
        print(f"| {keep:.0%} | {accesses} | {s.cycles} | {s.gbps:.0f} | {s.row_hit_rate:.3f} "
              f"| {s.energy_j * 1e6:.0f} µJ |")


if __name__ == "__main__":
    main()
