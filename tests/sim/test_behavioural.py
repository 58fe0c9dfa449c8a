"""The bert.cpp behaviour model against the authors' binary (golden outputs in data/bertcpp/)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accelsim import api
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.hw.cost.actions import op_counts
from accelsim.sim.behavioural import BehaviouralParams, _StdMt19937, layer_breakdown, quickselect_cycles
from accelsim.sim.bertcpp_profiles import read_input_csv
from tests.conftest import CSV_PRUNED

GOLDEN = Path(__file__).parent / "data" / "bertcpp"
LAYERS = pd.read_csv(GOLDEN / "reference_layers.csv")
SEEDS = pd.read_csv(GOLDEN / "reference_topk_seeds.csv")
CASES = sorted(LAYERS.groupby(["workload", "channels", "multipliers", "size_ze"]).groups)


def profile(**over) -> pd.DataFrame:
    row = {"layer_id": 0, "head_id": 0, "d": 64, "length": 128, "fetch": 128, "key_bits": 4, "value_bits": 4,
           "topk": False, "topk_k": -1, "step": 0, "layer": 0}
    return pd.DataFrame([{**row, **over}])


class TestGolden:
    """Exact agreement with bert.cpp's DRAM, fill and drain on every layer of every case."""

    @pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
    def test_layers(self, case):
        name, channels, multipliers, size_ze = case
        ref = LAYERS[(LAYERS["workload"] == name) & (LAYERS["channels"] == channels)
                     & (LAYERS["multipliers"] == multipliers) & (LAYERS["size_ze"] == size_ze)]
        ours = layer_breakdown(read_input_csv(GOLDEN / f"{name}.csv"),
                               BehaviouralParams(channels=channels, multipliers=multipliers, size_ze=size_ze))
        assert len(ours) == len(ref)
        for c in ("dram", "fill", "drain"):
            np.testing.assert_array_equal(ours[c].to_numpy(), ref[c].to_numpy(), err_msg=c)
        # top-k differs only where bert.cpp read past its vector (module docstring)
        assert abs(int(ours["topk"].sum()) - int(ref["topk"].sum())) <= 0.05 * ref["topk"].sum()

    def test_known_answer(self):
        # two layers run through the binary (16 channels, 512 multipliers, sizeZE 4):
        # it printed "0 4386" and "1 3577"; components 48 + 4096 + 119 + 123 and 40 + 3328 + 116 + 93
        p = pd.concat([
            profile(key_bits=6, value_bits=12), profile(head_id=1, topk=True, topk_k=100),
            profile(layer_id=1, fetch=100, value_bits=6), profile(layer_id=1, head_id=1, fetch=100, key_bits=8,
                                                                  topk=True, topk_k=3),
        ], ignore_index=True)
        out = layer_breakdown(p, BehaviouralParams(channels=16, multipliers=512, size_ze=4))
        assert out[["dram", "fill", "drain", "topk", "cycles"]].to_numpy().tolist() == [
            [48, 4096, 119, 123, 4386], [40, 3328, 116, 93, 3577]]


class TestTopK:
    """simTopK: std::mt19937 draws, per-seed agreement and the distribution over seeds."""

    def test_mt19937_known_answer(self):
        # C++ [rand.predef]: the 10000th draw of a default-constructed std::mt19937 (seed 5489)
        rng = _StdMt19937(5489)
        assert int(rng._bits.random_raw(10000)[-1]) == 4123659995

    def test_seeds_in_distribution(self):
        ours = np.array([quickselect_cycles(r.fetch, r.k, r.parallelism, r.size_ze, r.seed)
                         for r in SEEDS.itertuples(index=False)])
        seeds = SEEDS.assign(ours=ours)
        # exact wherever bert.cpp's pivot index stayed in bounds: most seeds
        assert (seeds["ours"] == seeds["cycles"]).mean() > 0.7
        for key, g in seeds.groupby(["fetch", "k", "parallelism", "size_ze"]):
            assert g["ours"].mean() == pytest.approx(g["cycles"].mean(), rel=0.05), key
            assert g["ours"].std() == pytest.approx(g["cycles"].std(), rel=0.15), key
        assert seeds["ours"].mean() == pytest.approx(seeds["cycles"].mean(), rel=0.01)

    def test_empty_and_single(self):
        assert quickselect_cycles(0, 5, 8, 4, 0) == 0 + 1  # no scores: fill 0, no pass, drain ceil(5/8)
        # one score: one pass (1 // 4 + 4 cycles) whether the pivot index is 0 or out of bounds
        assert quickselect_cycles(1, 1, 8, 4, 0) == 1 + 4 + 1

    def test_seeds_restart_each_layer(self):
        one = profile(topk=True, topk_k=10)
        two = pd.concat([one, one.assign(layer_id=1)], ignore_index=True)
        out = layer_breakdown(two, BehaviouralParams())
        assert out["topk"].iat[0] == out["topk"].iat[1] == quickselect_cycles(128, 10, 8, 4, 0)


class TestModel:
    def test_widths_of_6_and_above_8_count_as_8(self):
        cycles = [layer_breakdown(profile(key_bits=b, value_bits=b), BehaviouralParams())["dram"].iat[0]
                  for b in (4, 6, 7, 8, 12)]
        # 128 rows x 64 x bits / 8 / 32 B transactions over 16 channels, keys and values
        assert cycles == [2 * 128 * 64 * b // 8 // 32 // 16 for b in (4, 8, 7, 8, 8)]

    def test_drain_of_last_head_only(self):
        p = pd.concat([profile(fetch=1000), profile(head_id=1, fetch=8)], ignore_index=True)
        assert layer_breakdown(p, BehaviouralParams())["drain"].iat[0] == 103 + 1

    def test_head_dimension_above_multipliers(self):
        with pytest.raises(InputError, match=r"^field 'embedding_length_D': head dimension 1024 exceeds"):
            layer_breakdown(profile(d=1024), BehaviouralParams())

    @pytest.mark.parametrize("bad", [0, -1, 2.0, True])
    def test_params_checked(self, bad):
        with pytest.raises(ValueError, match=re.escape(f"channels must be a positive integer, not {bad!r}")):
            BehaviouralParams(channels=bad)

    def test_from_hardware(self):
        assert BehaviouralParams.from_hardware(load_hardware("spatten")) == BehaviouralParams(16, 512, 16)
        assert BehaviouralParams.from_hardware(load_hardware("spatten-1-8")) == BehaviouralParams(2, 64, 2)

    @pytest.mark.parametrize(("over", "pattern"), [
        ({"clock_ghz": 2.0}, r"^field 'hardware\.dram': .* moves 16 B per channel per cycle"),
        ({"dram": {"model": "bank"}}, r"^field 'hardware\.dram\.model': .* not 'bank'$"),
    ])
    def test_from_hardware_refuses(self, over, pattern):
        with pytest.raises(InputError, match=pattern):
            BehaviouralParams.from_hardware(load_hardware("spatten", over))


def test_simulate_behavioural_result():
    wp = api.load_workload(CSV_PRUNED)
    hw = load_hardware("spatten")
    result, layers = api.simulate_behavioural(hw, wp, workload="gpt2")
    assert len(layers) == 32 * 12  # one bert.cpp layer per (decode step, layer)
    assert result.cycles == layers["cycles"].sum() == sum(result.busy_by.values())
    assert result.stall_by == result.blocked_by == {}  # serial terms: no unit waits while held
    assert result.dram_bytes == (layers["key_bytes"] + layers["value_bytes"]).sum()
    counts = op_counts(wp, None)  # the plan's work, as the event engine counts it
    assert result.ops == 2 * (counts["qk_macs"] + counts["pv_macs"]) > 0
