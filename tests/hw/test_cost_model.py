"""The cost model: known answers on hand-computed designs, static energy x run time, and every
hardware knob that should move a cost."""

from __future__ import annotations

import pytest

from accelsim.config import load_hardware
from accelsim.hw.cost.components import Logic
from accelsim.hw.cost.model import Overheads, costs, overheads
from accelsim.hw.cost.sram import sram_macro
from accelsim.hw.cost.synth import synth_cost
from accelsim.hw.cost.units import KV_BANKS, Pricer, mul_array, unit_costs
from accelsim.hw.units import topk_params

UNFITTED = Overheads(logic=1.0, sram=1.0, layout=1.0, fitted_on="test")
COUNTS = {"qk_macs": 1e6, "pv_macs": 5e5, "softmax_elems": 1.6e4, "key_read_bits": 6e6, "key_write_bits": 1e6,
          "value_read_bits": 3e6, "value_write_bits": 1e6, "comparisons": 2e4}


def test_mul_array_known_answer():
    """A 4-multiplier 8-bit array by hand: 4 multipliers, 3 adders of 2*8+2 bits, 4*4*8 + 3*18 register bits."""
    hw = load_hardware("spatten", {"qk": {"multipliers": 4, "bits": 8}, "softmax": {"parallelism": 4}})
    logic = Logic(40)
    unit = mul_array(Pricer.of(hw), hw.qk)
    mult = 12.68 * 64 / 1024, 6350 * 64 / 1024, 80 * 64 / 1024  # Aladdin 32x32 scaled by 8*8/32^2
    add = 0.21 * 18 / 32, 278 * 18 / 32, 2.4 * 18 / 32
    reg_bits = 4 * 32 + 3 * 18
    assert unit.area_mm2 == pytest.approx((4 * mult[1] + 3 * add[1] + reg_bits * 5.98) * 1e-6)
    assert unit.leak_w == pytest.approx((4 * mult[2] + 3 * add[2]) * 1e-6)
    assert unit.clock_pj == pytest.approx(reg_bits * 0.009)
    assert unit.action_pj["mac"] == pytest.approx(mult[0] + add[0] + (32 + 18) * 0.009)
    assert logic("register").pj == pytest.approx(0.009)


def test_kv_buffer_is_bit_planes_of_cacti_macros():
    hw = load_hardware("spatten")
    macro = sram_macro(lines=hw.sram.key_kb * 8192 / (12 * 512) / KV_BANKS, width_bits=512, node_nm=40, cell="hp")
    key = unit_costs(hw)["sram_key"]
    assert key.area_mm2 == pytest.approx(12 * KV_BANKS * macro.area_mm2)
    assert key.action_pj == pytest.approx({"read": macro.read_pj, "write": macro.write_pj})


def test_static_energy_is_power_times_time():
    hw = load_hardware("spatten")
    one, two = (costs(hw, COUNTS, 1e6, c, fit=UNFITTED) for c in (1e5, 2e5))
    assert one.dynamic_by == two.dynamic_by  # equal work
    for unit, e in one.static_by.items():
        assert two.static_by[unit] == pytest.approx(2 * e)
    assert sum(two.static_by.values()) > sum(one.static_by.values()) > 0
    u = unit_costs(hw)["qk"]
    assert one.static_by["qk"] == pytest.approx((u.leak_w + u.clock_pj * 1e-3) * 1e-4)  # 1e5 cycles at 1 GHz


def test_factors_scale_their_category_only():
    hw = load_hardware("spatten")
    base = costs(hw, COUNTS, 1e6, 1e5, fit=UNFITTED)
    fit = costs(hw, COUNTS, 1e6, 1e5, fit=Overheads(logic=2.0, sram=3.0, layout=4.0, fitted_on="test"))
    units = unit_costs(hw)
    for name, e in base.energy_by.items():
        f = 1.0 if name == "dram" else 2.0 if units[name].kind == "logic" else 3.0
        assert fit.energy_by[name] == pytest.approx(f * e)
    assert fit.area_by == pytest.approx({k: 4 * v for k, v in base.area_by.items()})


@pytest.mark.parametrize(("field", "values"), [
    ("sram.key_kb", (24.5, 196.0)), ("qk.multipliers", (128, 512)), ("softmax.parallelism", (4, 8)),
    ("topk.parallelism", (4, 16)), ("topk.count", (1, 2)), ("fetcher.ports", (8, 32)), ("fetcher.fifo_depth", (32, 64)),
    ("dram.channels", (4, 16)), ("tech_nm", (28, 40)), ("qk.bits", (8, 12)),
])
def test_every_sized_knob_moves_area_and_energy(field, values):
    unit, key = field.split(".") if "." in field else (field, None)
    out = []
    for v in values:
        hw = load_hardware("spatten", {unit: {key: v}} if key else {unit: v})
        c = costs(hw, COUNTS, 1e6, 1e5)
        out.append((sum(c.area_by.values()), sum(c.energy_by.values())))
    (a0, e0), (a1, e1) = out
    assert a0 < a1 and e0 != e1


def test_shipped_fit_is_loaded():
    fit = overheads()
    assert fit.fitted_on != "not fitted" and min(fit.logic, fit.sram, fit.layout) > 0


def test_topk_from_synthesis_with_memories_as_macros():
    """An engine the synthesis table has: its logic area is the synthesized one and its memories
    are SRAM macros of their own shapes; without an entry the comparator model prices it."""
    hw = load_hardware("spatten", {"topk": {"parallelism": 4, "index_width": 8},
                                   "softmax": {"parallelism": 4}})
    synth = synth_cost(hw.topk.engine, topk_params(hw))
    assert synth is not None and synth.memories == {"64x12": 16}  # 4 buffers x 4 lanes of 64 scores
    _, buffers = Pricer.of(hw).macros(16 * hw.topk.count, 64, 12)
    assert unit_costs(hw)["topk"].area_mm2 == pytest.approx(hw.topk.count * synth.area_um2 * 1e-6 + buffers.area_mm2)
    other = load_hardware("spatten", {"topk": {"parallelism": 4, "index_width": 9},
                                      "softmax": {"parallelism": 4}})
    assert synth_cost(other.topk.engine, topk_params(other)) is None
    assert unit_costs(other)["topk"].area_mm2 != unit_costs(hw)["topk"].area_mm2


def test_a_unit_is_as_slow_as_its_slowest_macro():
    hw = load_hardware("spatten")
    units = unit_costs(hw)
    p = Pricer.of(hw)
    topk_macros = [p.macro(int(shape.split("x")[0]), int(shape.split("x")[1])).cycle_ns
                   for shape in synth_cost(hw.topk.engine, topk_params(hw)).memories]
    assert units["topk"].cycle_ns == max(topk_macros) > 0
    assert units["pv"].cycle_ns == 0  # logic only


def test_sram_cell_type_trades_leakage_for_speed():
    hp, lstp = (load_hardware("spatten", {"sram": {"cell": c}}) for c in ("hp", "lstp"))
    a, b = (costs(hw, COUNTS, 1e6, 1e5, fit=UNFITTED) for hw in (hp, lstp))
    assert sum(b.static_by.values()) < sum(a.static_by.values())  # lstp leaks less
    slow = max(u.cycle_ns for u in unit_costs(lstp).values())
    assert slow > max(u.cycle_ns for u in unit_costs(hp).values()) and slow > 1.0  # and misses 1 GHz


def test_bank_model_background_and_refresh_are_static():
    hw = load_hardware("spatten")
    pj = {"act": 3e6, "pre": 1e6, "read": 5e6, "write": 0.0, "refresh": 2e6, "background": 4e6}
    c = costs(hw, COUNTS, 1e6, 1e5, dram_energy_pj=pj, fit=UNFITTED)
    assert c.static_by["dram"] == pytest.approx(6e-6) and c.dynamic_by["dram"] == pytest.approx(9e-6)


def test_a_reset_value_is_the_same_circuit():
    """pivot_seed only sets the LFSR's reset value: the synthesized cost holds for every seed."""
    base, other = (load_hardware("spatten", {"topk": {"pivot_seed": s}}) for s in (0xACE1, 1))
    assert synth_cost(other.topk.engine, topk_params(other)) == synth_cost(base.topk.engine, topk_params(base))
    assert unit_costs(other)["topk"] == unit_costs(base)["topk"]


def test_unit_costs_are_shared_per_side():
    """Designs that differ only in DRAM channels price their compute units once (the same objects),
    and designs that differ only in compute share the fetcher's; every unit is priced as before."""
    a, b = load_hardware("spatten", {"dram": {"channels": 4}}), load_hardware("spatten", {"dram": {"channels": 8}})
    ua, ub = unit_costs(a), unit_costs(b)
    names = ["fetcher", "sram_fifo", "qk", "softmax", "pv", "sram_key", "sram_value", "sram_requant", "topk"]
    assert list(ua) == list(ub) == names
    assert all(ua[k] is ub[k] for k in ua if k != "fetcher") and ua["fetcher"] != ub["fetcher"]
    c = load_hardware("spatten", {"dram": {"channels": 4}, "qk": {"multipliers": 256}})
    uc = unit_costs(c)
    assert uc["fetcher"] is ua["fetcher"] and uc["qk"] != ua["qk"]
    p = Pricer.of(c)
    assert uc["pv"] == mul_array(p, c.pv) and "topk" not in unit_costs(load_hardware("dense"))
