"""Synthesized 40 nm top-k cost: table lookups, the calibration's fit, and the yosys flow."""

import json
import math
import shutil

import pytest
import yaml

from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.hw.cost.components import TABLES
from accelsim.hw.cost.synth import SYNTH_TOPK_TABLE, load_table, synth_cost
from accelsim.hw.units import topk_params
from accelsim.topk.base import ENGINES, TopKParams, engine_params
from tests.conftest import cli

CALIBRATION = TABLES / "synth_calibration.yaml"
# Each reference's fitted area is within this relative error of Aladdin's (one fitted constant
# for an adder, a comparator and a multiplier: -41 %, +67 %, +1 % with yosys 0.23).
REFERENCE_TOLERANCE = 0.70
TINY = TopKParams(parallelism=1, index_width=3)  # an engine yosys maps in ~1 s


def fake_report(engine, params, **over):
    report = {"engine": engine, "params": params.as_dict(), "cells": {"$_NAND_": 10},
              "transistors": 200, "logic_transistors": 40, "ff_bits": 10, "mem_bits": 0, "memories": {},
              "area_um2": 66.2, "leak_mw": 0.0001, "yosys": "Yosys test", "date": "2026-01-01",
              "wall_s": 1.0, "calibration": str(CALIBRATION)}
    return report | over


def test_hit_and_miss(tmp_path):
    from accelsim.rtl.topk.synth import record_asic

    table = tmp_path / "t.yaml"
    record_asic(fake_report("quickselect", TINY, area_um2=1234.5), table)
    cost = synth_cost("quickselect", TINY, table)
    assert cost is not None and cost.area_um2 == 1234.5 and cost.ff_bits == 10
    assert cost.date == "2026-01-01" and cost.source.startswith("accelsim rtl build --asic")
    assert synth_cost("streaming", TINY, table) is None  # another engine, same parameters
    assert synth_cost("quickselect", TINY.replace(index_width=4), table) is None
    assert synth_cost("quickselect", TINY, tmp_path / "absent.yaml") is None


def test_malformed_table_names_file_and_field(tmp_path):
    entry = fake_report("quickselect", TINY, area_um2="large", source="test")
    for field in ("engine", "calibration"):
        del entry[field]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"topk": {"quickselect-x": entry}}))
    with pytest.raises(InputError, match=r"bad\.yaml.*topk\.quickselect-x\.area_um2"):
        load_table(path)


def test_shipped_table_has_the_presets_engines():
    spatten = topk_params(load_hardware("spatten"))
    assert synth_cost("quickselect", spatten) is not None
    rtl = pytest.importorskip("accelsim.rtl.topk")  # the engines that have RTL (needs the rtl extra)
    for engine in sorted(rtl.ENGINE_COMPONENTS):  # at `accelsim rtl build`'s defaults
        params = engine_params(engine, **ENGINES[engine].params_type.rtl_build)
        assert synth_cost(engine, params, SYNTH_TOPK_TABLE) is not None, engine


def test_calibration_reproduces_the_references():
    from accelsim.rtl.asic import area_um2

    calib = yaml.safe_load(CALIBRATION.read_text())
    fit = {n: r for n, r in calib["references"].items() if r["used_in_fit"]}
    assert set(fit) == {"adder32", "comparator32", "multiplier32"}
    ratios = [r["aladdin_area_um2"] / r["logic_transistors"] for r in fit.values()]
    geomean = math.exp(sum(map(math.log, ratios)) / len(ratios))
    assert calib["um2_per_logic_transistor"] == pytest.approx(geomean, rel=1e-4)
    assert calib["ff_um2_per_bit"] == 5.98  # Aladdin 1-bit register
    for name, ref in fit.items():
        area = area_um2(ref["logic_transistors"], ref["ff_bits"], calib)
        assert area == pytest.approx(ref["aladdin_area_um2"], rel=REFERENCE_TOLERANCE), name
    leak = sum(r["aladdin_leak_mw"] for r in fit.values())
    mm2 = sum(r["aladdin_area_um2"] for r in fit.values()) * 1e-6
    assert calib["logic_leak_mw_per_mm2"] == pytest.approx(leak / mm2, rel=1e-4)


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys is not installed")
def test_tiny_engine_end_to_end(tmp_path):
    pytest.importorskip("amaranth")
    from accelsim.rtl.asic import FF_CELL, synthesize

    proc = cli("rtl", "build", "topk", "--asic", "--engine", "streaming", "--parallelism", 1,
               "--index-width", 3, "--param", "max_k=4", "--out", tmp_path / "build", "--record",
               tmp_path / "t.yaml", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ff_bits"] == report["cells"][FF_CELL] > 0
    assert report["transistors"] > report["logic_transistors"] > 0
    assert report["area_um2"] > report["ff_bits"] * 5.98
    cost = synth_cost("streaming", TINY, tmp_path / "t.yaml")
    assert cost is not None and cost.area_um2 == report["area_um2"]

    calib = yaml.safe_load(CALIBRATION.read_text())
    adder = calib["references"]["adder32"]
    (tmp_path / "adder32.v").write_text(adder["verilog"])
    count = synthesize(tmp_path / "adder32.v", "adder32", tmp_path / "adder")
    if count.yosys == calib["yosys"]:  # same flow, same yosys: the calibration is reproducible
        assert count.logic_transistors == adder["logic_transistors"]
