"""The measured FPGA cost table reaches the results only where it has an entry for the design."""


import pytest
import yaml

from accelsim import api
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.hw.fpga import FPGA_COLUMNS, FPGA_TOPK_TABLE, load_table, topk_fpga_cost
from accelsim.hw.units import topk_params
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.topk.params import TopKParams
from accelsim.trace.synthetic import synthetic_trace

# the design point `accelsim rtl build topk` synthesizes by default (its input rate is softmax's 8 capped at 4)
FPGA_BUILD = {"topk": dict(TopKParams.rtl_build)}


def write_table(path, engine, hw, **cost):
    """A cost table with one entry for ``engine`` at ``hw``'s top-k parameters."""
    params = topk_params(hw).as_dict()
    entry = {"luts": 100, "ffs": 50, "brams": 2, "dsps": 0, "fmax_mhz": 40.0, "target_mhz": 12.0,
             "device": "iCE40HX8K-CT256", "board": "ice40-hx8k-evn", "params": params, "source": "test"}
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
    {"topk": {"pivot_seed": 7, "index_width": 9}},  # another circuit (the seed alone would not be)
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
    assert shipped, "the shipped table has no measurement"
    for name, entry in shipped.items():
        engine = name.split("-")[0]
        fields = {k: v for k, v in entry.params.items() if k != "input_parallelism"}
        # the design whose derived input rate (softmax's scores a cycle, capped at P) is the entry's
        hw = load_hardware("spatten", {"topk": {**fields, "engine": engine},
                                       "softmax": {"parallelism": entry.params["input_parallelism"]}})
        plan = api.plan(SpAttenPolicy(), trace, engine=api.plan_engine(hw, replayed=False))  # the engine's plan
        row = api.simulate(hw, plan)[0].flat()
        assert {c: row[f"topk_fpga_{c}"] for c in FPGA_COLUMNS} == {c: getattr(entry, c) for c in FPGA_COLUMNS}


def test_results_without_measurement_say_none(plan):
    row = api.simulate(load_hardware("spatten", {"topk": {"fifo_depth": 5}}), plan)[0].flat()  # never built
    assert {k: v for k, v in row.items() if k.startswith("topk_fpga_")} == {
        f"topk_fpga_{c}": None for c in FPGA_COLUMNS}
