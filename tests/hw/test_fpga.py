"""The measured FPGA cost table reaches the results only where it has an entry for the design."""


import pytest
import yaml

from accelsim import api
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.hw.fpga import FPGA_TOPK_TABLE, load_table, topk_fpga_cost
from accelsim.hw.units import topk_params
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.topk.params import RTL_BUILD
from accelsim.trace.synthetic import synthetic_trace

# the design point `accelsim rtl build topk` synthesizes by default (its input rate is softmax's 8 capped at 4)
FPGA_BUILD = {"topk": RTL_BUILD.model_dump(exclude={"input_parallelism"})}


def write_table(path, engine, hw, **cost):
    """A cost table with one entry for ``engine`` at ``hw``'s top-k parameters."""
    params = topk_params(hw).as_dict()
    entry = {"luts": 100, "ffs": 50, "carries": 10, "brams": 2, "generic_cells": 300,
             "fmax_mhz": 40.0, "device": "iCE40HX8K-CT256", "params": params, "source": "test"}
    entry.update(cost)
    name = engine + "".join(f"-{k}={params[k]}" for k in sorted(params))
    path.write_text(yaml.safe_dump({"topk": {name: entry}}))
    return path


def test_matching_entry_is_returned(tmp_path):
    hw = load_hardware("spatten", FPGA_BUILD)
    table = write_table(tmp_path / "t.yaml", "quickselect", hw, luts=1234)
    cost = topk_fpga_cost(hw, table)
    assert cost is not None and cost.luts == 1234 and cost.fmax_mhz == 40.0


@pytest.mark.parametrize("over", [
    {"topk": {"parallelism": 8}},  # another parallelism
    {"topk": {"engine": "streaming"}},  # another engine, same parameters
    {"topk": {"max_k": 32}},
    {"topk": {"count": 0}},  # no top-k hardware at all
])
def test_no_entry_means_none(tmp_path, over):
    table = write_table(tmp_path / "t.yaml", "quickselect", load_hardware("spatten", FPGA_BUILD))
    hw = load_hardware("spatten", {"topk": {**FPGA_BUILD["topk"], **over["topk"]}})
    assert topk_fpga_cost(hw, table) is None


def test_missing_table_means_none(tmp_path):
    assert topk_fpga_cost(load_hardware("spatten", FPGA_BUILD), tmp_path / "absent.yaml") is None


def test_malformed_table_names_file_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("topk:\n  quickselect-x:\n    luts: many\n")
    with pytest.raises(InputError, match=r"^.*bad\.yaml.*topk\.quickselect-x\.luts.*$"):
        load_table(path)


@pytest.fixture(scope="module")
def trace():
    return synthetic_trace(layers=2, heads=2, head_dim=32, prompt_len=64, decode_steps=2, seed=3)


@pytest.fixture(scope="module")
def plan(trace):
    return api.plan(SpAttenPolicy(), trace)


def test_results_carry_the_shipped_measurement(trace):
    shipped = load_table(FPGA_TOPK_TABLE).topk
    rtl = pytest.importorskip("accelsim.rtl.topk")  # the engines that have RTL (needs the rtl extra)
    for engine in sorted(rtl.ENGINE_COMPONENTS):
        hw = load_hardware("spatten", {"topk": {**FPGA_BUILD["topk"], "engine": engine}})
        want = [e for name, e in shipped.items() if name.startswith(engine + "-")
                and e.params == topk_params(hw).as_dict()]
        assert len(want) == 1, f"shipped table lacks the default FPGA build of {engine}"
        plan = api.plan(SpAttenPolicy(), trace, engine=api.plan_engine(hw, replayed=False))  # the engine's plan
        row = api.simulate(hw, plan)[0].flat()
        assert (row["topk_fpga_luts"], row["topk_fpga_brams"], row["topk_fpga_fmax_mhz"]) == \
            (want[0].luts, want[0].brams, want[0].fmax_mhz)


def test_results_without_measurement_say_none(plan):
    row = api.simulate(load_hardware("spatten"), plan)[0].flat()  # P = 16, n <= 1024: not built
    assert {k: v for k, v in row.items() if k.startswith("topk_fpga_")} == {
        f"topk_fpga_{c}": None for c in ("luts", "ffs", "carries", "brams", "generic_cells",
                                         "fmax_mhz", "device")}
