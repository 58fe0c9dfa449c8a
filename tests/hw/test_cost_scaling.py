"""Technology scaling (Stillmaker & Baas 2017) and the 40 nm component table."""

from __future__ import annotations

import re

import pytest

from accelsim.errors import InputError
from accelsim.hw.cost.components import Logic, logic_table
from accelsim.hw.cost.scaling import AREA_REL, NODES_NM, area_factor, energy_factor

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


def test_identity_and_table_nodes():
    for node in NODES_NM:
        assert area_factor(node, node) == pytest.approx(1.0)
        assert energy_factor(node, node) == pytest.approx(1.0)
    # at the table's own nodes the factor is the ratio of its entries: 45 -> 32 nm
    assert area_factor(32, 45) == pytest.approx(AREA_REL[4] / AREA_REL[3])


def test_shrinking_costs_less_and_round_trips():
    for to in (28, 16, 7):
        assert area_factor(to, 40) < 1 and energy_factor(to, 40) < 1
        assert area_factor(to, 40) * area_factor(40, to) == pytest.approx(1.0)
    assert area_factor(7, 40) < area_factor(16, 40) < area_factor(28, 40)


def test_node_out_of_range():
    with pytest.raises(ValueError, match=re.escape("technology node must be within [7, 130] nm, not 5")):
        area_factor(5, 40)


def test_components_at_40nm_are_the_table():
    """Known answers: Aladdin's 40 nm rows scaled by width."""
    logic = Logic(40)
    add = logic("adder", 16)
    assert (add.pj, add.um2, add.leak_uw) == pytest.approx((0.105, 139.0, 1.2))
    mul = logic("multiplier", 12, 12)  # product scaling: 12 * 12 / 32^2 of the 32 x 32 multiplier
    assert (mul.pj, mul.um2) == pytest.approx((12.68 * 144 / 1024, 6350 * 144 / 1024))
    assert logic("register", 10).um2 == pytest.approx(59.8)


def test_derived_rows_follow_their_sources():
    c = logic_table().components
    # fp32 rows: Horowitz 45 nm scaled to 40 nm; leakage at the multiplier's density
    assert c["fp32_mult"].energy_pj == pytest.approx(3.7 * energy_factor(40, 45), rel=1e-3)
    assert c["fp32_mult"].area_um2 == pytest.approx(7700 * area_factor(40, 45), rel=1e-3)
    assert c["fp32_add"].leak_uw == pytest.approx(c["fp32_add"].area_um2 * 80 / 6350, rel=1e-2)
    # a 2:1 mux is 12 transistor-equivalents of the 32-bit adder's 32 x 28
    assert c["mux2"].area_um2 == pytest.approx(278 * 12 / (32 * 28), rel=1e-2)


def test_components_scale_with_node():
    at7, at40 = Logic(7)("adder", 32), Logic(40)("adder", 32)
    assert at7.um2 == pytest.approx(at40.um2 * area_factor(7, 40))
    assert at7.pj == pytest.approx(at40.pj * energy_factor(7, 40))


def test_bad_table_names_file_and_field(tmp_path):
    bad = tmp_path / "logic.yaml"
    bad.write_text("node_nm: 40\ncomponents:\n  adder: {width: 32, energy_pj: -1, area_um2: 1, leak_uw: 0, "
                   "scale: linear, source: x}\n")
    with pytest.raises(InputError, match=r"logic\.yaml.*components\.adder\.energy_pj"):
        logic_table(bad)
