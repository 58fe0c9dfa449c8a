"""Agreement with DRAMsim3 on its stock HBM2 and DDR4 configurations.

Golden values: DRAMsim3 (umd-memsys/DRAMsim3, built out of tree) replaying the traces of
``benchmarks/dram_traces.py`` — cycle the last read's data returned, and read row-hit rate —
recorded in ``docs/dram.md`` with the exact commands. DRAMsim3 is not needed here: the traces
are rebuilt in memory from the same seeds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from accelsim.hw.dram import from_dramsim3_ini, replay

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "dramsim3"
CYCLES_TOL = 0.10  # relative
HIT_TOL = 0.10  # absolute

GOLDEN = {
    ("HBM2_8Gb_x128", "pruned64_10", "in-order"): (134, 0.6863),
    ("HBM2_8Gb_x128", "pruned64_10", "per-channel"): (62, 0.6863),
    ("HBM2_8Gb_x128", "pruned64_100", "in-order"): (1086, 0.9688),
    ("HBM2_8Gb_x128", "pruned64_100", "per-channel"): (286, 0.9688),
    ("HBM2_8Gb_x128", "pruned64_20", "in-order"): (241, 0.8439),
    ("HBM2_8Gb_x128", "pruned64_20", "per-channel"): (92, 0.8439),
    ("HBM2_8Gb_x128", "pruned64_50", "in-order"): (555, 0.9375),
    ("HBM2_8Gb_x128", "pruned64_50", "per-channel"): (170, 0.9375),
    ("HBM2_8Gb_x128", "pruned96x2_100", "in-order"): (9001, 0.9832),
    ("HBM2_8Gb_x128", "pruned96x2_100", "per-channel"): (1566, 0.9844),
    ("HBM2_8Gb_x128", "pruned96x2_50", "in-order"): (3145, 0.9688),
    ("HBM2_8Gb_x128", "pruned96x2_50", "per-channel"): (852, 0.9688),
    ("HBM2_8Gb_x128", "rand32", "in-order"): (9158, 0.0009),
    ("HBM2_8Gb_x128", "rand32", "per-channel"): (8903, 0.0017),
    ("HBM2_8Gb_x128", "seq32", "in-order"): (17664, 0.9839),
    ("HBM2_8Gb_x128", "seq32", "per-channel"): (4428, 0.9834),
    ("HBM2_8Gb_x128", "seq64", "in-order"): (16694, 0.9683),
    ("HBM2_8Gb_x128", "seq64", "per-channel"): (4436, 0.9673),
    ("DDR4_8Gb_x8_2400", "pruned64_10", "in-order"): (446, 0.9216),
    ("DDR4_8Gb_x8_2400", "pruned64_10", "per-channel"): (451, 0.9216),
    ("DDR4_8Gb_x8_2400", "pruned64_100", "in-order"): (5613, 0.9912),
    ("DDR4_8Gb_x8_2400", "pruned64_100", "per-channel"): (5613, 0.9912),
    ("DDR4_8Gb_x8_2400", "pruned64_20", "in-order"): (876, 0.9610),
    ("DDR4_8Gb_x8_2400", "pruned64_20", "per-channel"): (876, 0.9610),
    ("DDR4_8Gb_x8_2400", "pruned64_50", "in-order"): (2174, 0.9844),
    ("DDR4_8Gb_x8_2400", "pruned64_50", "per-channel"): (2174, 0.9844),
    ("DDR4_8Gb_x8_2400", "pruned96x2_100", "in-order"): (32471, 0.9951),
    ("DDR4_8Gb_x8_2400", "pruned96x2_100", "per-channel"): (32471, 0.9951),
    ("DDR4_8Gb_x8_2400", "pruned96x2_50", "in-order"): (15711, 0.9906),
    ("DDR4_8Gb_x8_2400", "pruned96x2_50", "per-channel"): (15711, 0.9906),
    ("DDR4_8Gb_x8_2400", "rand32", "in-order"): (37913, 0.0011),
    ("DDR4_8Gb_x8_2400", "rand32", "per-channel"): (37942, 0.0010),
    ("DDR4_8Gb_x8_2400", "seq32", "in-order"): (93038, 0.9954),
    ("DDR4_8Gb_x8_2400", "seq32", "per-channel"): (93038, 0.9954),
    ("DDR4_8Gb_x8_2400", "seq64", "in-order"): (84933, 0.9914),
    ("DDR4_8Gb_x8_2400", "seq64", "per-channel"): (84933, 0.9914),
}


def _cases() -> dict:
    path = ROOT / "benchmarks" / "dram_traces.py"
    spec = importlib.util.spec_from_file_location("dram_traces", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.cases()


TRACES = _cases()
SPECS = {name: from_dramsim3_ini(DATA / f"{name}.ini")
         for name in ("HBM2_8Gb_x128", "DDR4_8Gb_x8_2400")}


def test_every_trace_has_golden_values():
    assert {k[1] for k in GOLDEN} == set(TRACES)


@pytest.mark.parametrize(("config", "trace", "issue"), sorted(GOLDEN))
def test_matches_dramsim3(config, trace, issue):
    cycles, hit_rate = GOLDEN[(config, trace, issue)]
    stats = replay(SPECS[config], TRACES[trace], issue=issue)
    assert stats.requests == len(TRACES[trace])
    assert abs(stats.cycles / cycles - 1) <= CYCLES_TOL, (stats.cycles, cycles)
    assert abs(stats.row_hit_rate - hit_rate) <= HIT_TOL, (stats.row_hit_rate, hit_rate)
