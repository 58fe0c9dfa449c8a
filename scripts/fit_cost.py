"""Fit the cost model's three overhead factors on the full SpAtten design and write them to
``accelsim/hw/tables/cost_fit.yaml``.

One factor per category, fitted once: logic power to Table II's 1.36 W, SRAM power to 1.24 W (both
on the authors' GPT-2-small trace on the ``spatten`` preset, event engine) and area to Sec. V-B's
18.71 mm2. Every other cost row of ``accelsim validate`` is then predicted with these factors.

    python scripts/fit_cost.py
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import yaml

from accelsim.hw.cost.model import FIT_TABLE, overheads
from accelsim.validation.cases import GPT2, Runs, power_of

TARGETS = {"logic": 1.36, "sram": 1.24, "layout": 18.71}  # SpAtten Table II (W), Sec. V-B (mm2)


def main() -> None:
    old = overheads()
    r = Runs().sim("spatten", "spatten", GPT2)
    now = {"logic": power_of(r, "spatten", "logic"), "sram": power_of(r, "spatten", "sram"), "layout": r.area_mm2}
    # every quantity is linear in its own factor, so one step lands it
    new = {k: getattr(old, k) * TARGETS[k] / now[k] for k in TARGETS}
    doc = {**{k: round(v, 4) for k, v in new.items()},
           "fitted_on": f"spatten preset, {GPT2}, event engine: logic {TARGETS['logic']} W, SRAM "
                        f"{TARGETS['sram']} W (SpAtten Table II), area {TARGETS['layout']} mm2 (Sec. V-B); "
                        f"`python scripts/fit_cost.py`, {datetime.date.today()}"}
    header = "# Cost-model overhead factors, fitted once on the full design: written by scripts/fit_cost.py.\n"
    Path(FIT_TABLE).write_text(header + yaml.safe_dump(doc, sort_keys=False, width=200))
    print(f"before: {now}\nfactors: {new}", file=sys.stderr)


if __name__ == "__main__":
    main()
