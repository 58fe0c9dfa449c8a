"""Cost-table entries of the streaming units (accelsim.rtl.units.synth) and their use by the cost model."""

import yaml

from accelsim.hw.cost.synth import unit_synth_cost
from accelsim.hw.requant import RequantParams
from accelsim.hw.softmax import SoftmaxParams
from accelsim.rtl.units import synth

PARAMS = SoftmaxParams(parallelism=4, index_width=8)


def fake_asic(unit="softmax", params=PARAMS, area=100.0):
    return {
        "unit": unit,
        "params": params.as_dict(),
        "cells": {"$_NAND_": 3},
        "transistors": 50,
        "logic_transistors": 34,
        "ff_bits": 1,
        "mem_bits": 96,
        "memories": {"8x12": 1},
        "area_um2": area,
        "leak_mw": 0.001,
        "yosys": "Yosys 0.23",
        "date": "2026-01-01",
        "wall_s": 1.0,
        "calibration": "/x/synth_calibration.yaml",
    }


def test_record_key_names_every_parameter():
    key = synth.record_key("softmax", PARAMS.as_dict())
    assert key == ("softmax-exp_bits=16-frac_bits=7-index_width=8-out_bits=12-parallelism=4-width=12")


def test_record_asic_adds_and_replaces_under_the_unit(tmp_path):
    table = tmp_path / "synth_units.yaml"
    table.write_text("# header\n")
    synth.record_asic(fake_asic(area=100.0), table)
    synth.record_asic(fake_asic(area=120.0), table)
    synth.record_asic(fake_asic("requant", RequantParams(parallelism=4)), table)
    assert table.read_text().startswith("# header\n")
    data = yaml.safe_load(table.read_text())
    assert set(data) == {"softmax", "requant"}
    (entry,) = data["softmax"].values()
    assert entry["area_um2"] == 120.0 and entry["source"].startswith("accelsim rtl build --asic: Yosys 0.23")
    # the cost model finds it at exactly these parameters, under this unit only
    assert unit_synth_cost("softmax", PARAMS, table).area_um2 == 120.0
    assert unit_synth_cost("softmax", PARAMS.model_copy(update={"out_bits": 8}), table) is None
    assert unit_synth_cost("requant", RequantParams(parallelism=4), table).ff_bits == 1
    assert unit_synth_cost("softmax", PARAMS, tmp_path / "absent.yaml") is None


def test_record_fpga_entry(tmp_path):
    table = tmp_path / "fpga_units.yaml"
    report = {
        "unit": "requant",
        "params": {"parallelism": 4, "width": 12},
        "luts": 10,
        "ffs": 2,
        "carries": 1,
        "brams": 0,
        "generic_cells": 30,
        "fmax_mhz": 99.5,
        "device": "iCE40HX8K-CT256",
    }
    synth.record(report, table)
    (entry,) = yaml.safe_load(table.read_text())["requant"].values()
    assert entry["luts"] == 10 and entry["fmax_mhz"] == 99.5 and "synth_ice40" in entry["source"]


def test_spatten_softmax_is_priced_from_synthesis():
    from accelsim.config import load_hardware
    from accelsim.hw.cost.units import Pricer, softmax, unit_costs
    from accelsim.hw.units import requant_params, softmax_params

    hw = load_hardware("spatten")
    entries = [unit_synth_cost("softmax", softmax_params(hw)), unit_synth_cost("requant", requant_params(hw))]
    assert all(entries)  # shipped in accelsim/hw/tables/synth_units.yaml
    fp32 = softmax(Pricer.of(hw), hw.softmax)  # no RTL params: the fp32 operator estimate
    priced = unit_costs(hw)["softmax"]
    assert priced.area_mm2 != fp32.area_mm2
    # the logic is the synthesized one: its area sits inside the unit's, with the row buffers' macros
    logic_mm2 = sum(e.area_um2 for e in entries) * 1e-6
    assert logic_mm2 < priced.area_mm2
