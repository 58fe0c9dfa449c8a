import re
from pathlib import Path

import pytest

from accelsim.config import load_hardware, load_policy, load_roofline, policy_models, preset_names
from accelsim.errors import InputError
from accelsim.policies.spatten import Schedule


def test_presets_load():
    assert {"spatten", "spatten-1-8", "dense"} <= set(preset_names("hardware"))
    for name in preset_names("hardware"):
        assert load_hardware(name).name == name
    for name in preset_names("policy"):  # a preset is named for its policy, or extends one (spatten-bert)
        assert name.startswith(load_policy(name).name)
    bert = load_policy("spatten-bert")
    assert (bert.quant.enabled, bert.full_bits, bert.tokens.end, bert.heads.end) == (False, 8, 0.5, 0.8)
    for name in preset_names("roofline"):
        dev = load_roofline(name)
        assert dev.name == name and dev.source and dev.peak_tflops > 0 and dev.bandwidth_gbs > 0


def test_spatten_design_point():
    hw = load_hardware("spatten")
    assert (hw.qk.multipliers, hw.pv.multipliers, hw.softmax.parallelism) == (512, 512, 8)
    assert (hw.topk.count, hw.topk.parallelism) == (2, 16)
    assert hw.dram.peak_gbs == 512.0
    assert hw.sram.key_kb == hw.sram.value_kb == 196


def test_spatten_1_8_extends_spatten():
    hw = load_hardware("spatten-1-8")
    assert hw.qk.multipliers + hw.pv.multipliers == 128
    assert hw.dram.peak_gbs == 64.0
    assert hw.fetcher.ports == 4 and hw.sram.key_kb == 196 / 8  # the authors' scale-down; SRAM scaled too
    assert hw.topk.parallelism == 2  # the RTL's TopK at numSoftMaxUnit = 1 score per cycle, 2 comparators
    assert hw.clock_ghz == 1.0 and hw.topk.index_width == load_hardware("spatten").topk.index_width  # inherited


def test_dense_has_no_topk():
    assert load_hardware("dense").topk.count == 0


def test_overrides_merge():
    hw = load_hardware("spatten", {"topk": {"parallelism": 4}})
    assert hw.topk.parallelism == 4 and hw.topk.count == 2


@pytest.mark.parametrize(("over", "pattern"), [
    ({"qk": {"multipliers": -3}}, r"field 'qk\.multipliers': Input should be greater than 0, got -3"),
    ({"qk": {"multipliers": "many"}}, r"field 'qk\.multipliers': Input should be a valid integer"),
    ({"qk": {"multiplier": 3}}, r"field 'qk\.multiplier': unknown field; expected one of: multipliers, bits, latency"),
    ({"qk": {"multipliers": 384}}, r"qk\.multipliers must be a power of two, not 384"),
    ({"clock_ghz": 0}, r"field 'clock_ghz': Input should be greater than 0"),
])
def test_bad_hardware_fields(over, pattern):
    with pytest.raises(InputError, match=pattern):
        load_hardware("spatten", over)


def test_unknown_preset_lists_names():
    msg = (r"^field '--hw': unknown hardware preset 'nope'; expected one of: "
           + re.escape(", ".join(preset_names("hardware"))))
    with pytest.raises(InputError, match=msg):
        load_hardware("nope")


def test_yaml_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("qk: {multipliers: 512\n")
    with pytest.raises(InputError, match=rf"^{re.escape(str(bad))}: malformed YAML: line \d+"):
        load_hardware(bad)
    dup = tmp_path / "dup.yaml"
    dup.write_text("clock_ghz: 1\nclock_ghz: 2\n")
    with pytest.raises(InputError, match=r"duplicate key 'clock_ghz'"):
        load_hardware(dup)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match=r"expected a mapping at the top level, got list"):
        load_hardware(lst)
    with pytest.raises(InputError, match=r"missing\.yaml: file does not exist"):
        load_hardware(tmp_path / "missing.yaml")


def test_yaml_file_extends_preset(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("extends: spatten\nname: mine\ndram: {channels: 4}\n")
    hw = load_hardware(f)
    assert hw.name == "mine" and hw.dram.peak_gbs == 128.0 and hw.qk.multipliers == 512


def test_policy_errors(tmp_path):
    with pytest.raises(InputError, match=r"field 'name': missing"):
        f = tmp_path / "p.yaml"
        f.write_text("values: 0.3\n")
        load_policy(f)
    with pytest.raises(InputError, match=r"values"):
        load_policy("spatten", {"values": 1.5})


@pytest.mark.parametrize(("layers", "expect"), [
    (1, [1.0]),
    (4, [1.0, 0.9, 0.5, 0.1]),
    (10, [1.0, 1.0, 0.9, 0.7857142857142857, 0.6714285714285714, 0.5571428571428572,
          0.44285714285714284, 0.3285714285714286, 0.21428571428571427, 0.1]),
])
def test_linear_schedule(layers, expect):
    got = Schedule(unpruned=0.15, start=0.9, end=0.1).ratios(layers)
    assert got == pytest.approx(expect)


def test_explicit_schedule_length_checked():
    with pytest.raises(ValueError, match=r"^keep lists 2 layers, the workload has 3$"):
        Schedule(keep=[1.0, 0.5]).ratios(3)


@pytest.mark.parametrize(("name", "over", "pattern"), [
    ("h2o", {"budget": 0.0}, r"field 'budget': Input should be greater than 0"),
    ("snapkv", {"budget": 1.5}, r"field 'budget': Input should be less than or equal to 1"),
    ("oracle", {"sink": -1}, r"field 'sink': Input should be greater than or equal to 0"),
    ("a2ats", {"top_k": 0.1}, r"field 'top_k': unknown field; expected one of: name, codebook, topk, sink"),
    ("zipcache", {"lo_bits": 8}, r"lo_bits \(8\) must not exceed hi_bits \(4\)"),
])
def test_other_policy_errors(name, over, pattern):
    with pytest.raises(InputError, match=pattern):
        load_policy(name, over)


def test_budget_override_on_every_budgeted_policy():
    budgeted = [name for name, model in policy_models().items() if "budget" in model.model_fields]
    assert budgeted
    for name in budgeted:
        assert load_policy(name, {"budget": 0.3}).budget == 0.3


def test_unknown_policy_name_lists_policies(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("name: foo\n")
    names = re.escape(", ".join(policy_models()))
    with pytest.raises(InputError, match=rf"field 'name': unknown policy 'foo'; expected one of: {names}$"):
        load_policy(f)


def test_roofline_bad_yaml(tmp_path):
    path = tmp_path / "gpu.yaml"
    path.write_text("name: x\nkind: gpu\npeak_tflops: -1\nprecision: fp32\nbandwidth_gbs: 100\npower_w: 1\nsource: s\n")
    with pytest.raises(InputError, match=r"gpu.yaml: field 'peak_tflops': .*greater than 0"):
        load_roofline(path)


def test_roofline_time_takes_the_slower_roof():
    from accelsim.hw.roofline import roofline_time

    dev = load_roofline("titan-xp")
    t = roofline_time(dev, ops=12.15e12, elements=547.7e9 / 4 / 2)  # 1 s of compute, 0.5 s of memory
    assert (t.seconds, t.bound) == (pytest.approx(1.0), "compute")
    t = roofline_time(dev, ops=12.15e12, elements=547.7e9 / 4 / 2, tflops=dev.measured_tflops["gpt2"])
    assert t.seconds == pytest.approx(1215.0)
    h = load_roofline("h200-sxm")
    assert roofline_time(h, ops=0.0, elements=2.4e12).seconds == pytest.approx(1.0)  # fp16: 2 B each


def test_workload_spec(tmp_path):
    from accelsim.api import load_workload

    tr = load_workload(Path(__file__).resolve().parents[2] / "workloads" / "bert" / "bert-large-squad.yaml")
    m = tr.meta
    assert (m.layers, m.heads, m.head_dim, m.prompt_len, m.decode_steps, m.causal) == (24, 16, 64, 96, 0, False)
    bad = tmp_path / "w.yaml"
    bad.write_text("kind: synthetic\nmodel: m\nsource: s\nlayers: 2\nheads: 0\nhead_dim: 8\nprompt_len: 8\n")
    with pytest.raises(InputError, match=r"w.yaml: field 'heads': .*greater than 0"):
        load_workload(bad)
