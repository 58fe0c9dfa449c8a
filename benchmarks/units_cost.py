"""Cost-model numbers of the softmax and top-k units of a design, to compare before and after synthesis
entries land (run it from two checkouts).

Covers: ``accelsim.hw.cost.units.unit_costs``. Scenario: the ``spatten`` preset, and the same with the
sorter engine. Run: ``python benchmarks/units_cost.py [PRESET_OR_YAML ...]``
"""

from __future__ import annotations

import sys

from accelsim.config import load_hardware
from accelsim.hw.cost.units import unit_costs


def main(refs: list[str]) -> None:
    for ref in refs:
        base, sorter = ref.removesuffix("+sorter"), ref.endswith("+sorter")
        hw = load_hardware(base, {"topk": {"engine": "sorter"}} if sorter else None)
        units = unit_costs(hw)
        total = sum(u.area_mm2 for u in units.values())
        for name in ("softmax", "topk"):
            u = units[name]
            print(
                f"{ref:16} {name:8} area {u.area_mm2:.4f} mm2, leakage {u.leak_w * 1e3:.3f} mW, "
                f"clock {u.clock_pj:.2f} pJ/cycle, actions { ({k: round(v, 3) for k, v in u.action_pj.items()}) }"
            )
        print(f"{ref:16} all units area {total:.4f} mm2")


if __name__ == "__main__":
    main(sys.argv[1:] or ["spatten", "spatten+sorter"])
