"""Design points (``accelsim.sweep.points``): a point's hardware rebuilt from the pairs the driver sends
its workers is the design it validated, its unit blocks shared between points."""

from __future__ import annotations

import pytest

from accelsim.config import Hardware, load_hardware
from accelsim.sweep.points import hardware, pairs

pytestmark = pytest.mark.smoke

# designs that move a field of every block, and a top-k engine with its own parameters
DESIGNS = [
    ("spatten", {}),
    ("spatten", {"dram": {"channels": 4, "latency_ns": 0.0}, "clock_ghz": 0.5}),
    ("spatten", {"topk": {"engine": "statistical", "z_frac_bits": 6, "count": 0}, "sram": {"cell": "lstp"}}),
    ("spatten", {"qk": {"multipliers": 64}, "softmax": {"parallelism": 4}, "fetcher": {"ports": 8}}),
    ("spatten-1-8", {"pv": {"bits": 8}, "sram": {"value_kb": 20.0}, "tech_nm": 22.0}),
]


@pytest.mark.parametrize(("preset", "over"), DESIGNS)
def test_hardware_is_the_validated_design(preset, over):
    hw = load_hardware(preset, over)
    built = hardware(pairs(hw.model_dump()))
    assert built == hw and hash(built) == hash(hw)
    assert built.model_dump_json() == hw.model_dump_json()  # fields, types and order
    assert built.model_fields_set == Hardware.model_validate(hw.model_dump()).model_fields_set


def test_points_share_unit_blocks():
    """Two designs that differ only in DRAM channels get the very same compute blocks (a grid's
    points share them, and so does every cache keyed on them)."""
    a = hardware(pairs(load_hardware("spatten", {"dram": {"channels": 2}}).model_dump()))
    b = hardware(pairs(load_hardware("spatten", {"dram": {"channels": 8}}).model_dump()))
    assert a.qk is b.qk and a.topk is b.topk and a.sram is b.sram
    assert a.dram is not b.dram and (a.dram.channels, b.dram.channels) == (2, 8)
