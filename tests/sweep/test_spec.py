"""Sweep files: expansion of axes, and bad files as one-line errors naming the field (exit 2)."""

import re

import pytest

from accelsim.cli import main
from accelsim.errors import InputError
from accelsim.sweep import load_sweep
from accelsim.sweep.points import Resolver, expand, grid_point, grid_size
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


def test_axes_expand_to_a_grid(write_sweep):
    s = load_sweep(write_sweep(axes={"hw.topk.parallelism": [4, 8], "hw.dram.channels": {"range": [2, 6, 2]},
                                     "hw.sram.key_kb": {"logrange": [32, 512, 5]}},
                               zip=[{"hw.qk.multipliers": [256, 512], "hw.pv.multipliers": [256, 512]}]))
    assert s.groups()[1] == {"hw.dram.channels": [2, 4, 6]}
    assert s.groups()[2] == {"hw.sram.key_kb": [32, 64, 128, 256, 512]}
    assert grid_size(s.groups()) == 2 * 3 * 5 * 2
    points = expand(s)
    assert len({tuple(p.values()) for p in points}) == 60
    assert points[0] == {"hw.topk.parallelism": 4, "hw.dram.channels": 2, "hw.sram.key_kb": 32,
                         "hw.qk.multipliers": 256, "hw.pv.multipliers": 256}
    assert points[1]["hw.qk.multipliers"] == points[1]["hw.pv.multipliers"] == 512  # zipped, last varies fastest
    assert grid_point(s.groups(), 59) == points[59]


def test_random_search_is_seeded(write_sweep):
    axes = {"hw.topk.parallelism": [1, 2, 4, 8, 16], "hw.dram.channels": [2, 4, 8, 16]}
    a = expand(load_sweep(write_sweep(axes=axes, search={"method": "random", "samples": 7, "seed": 3})))
    b = expand(load_sweep(write_sweep(axes=axes, search={"method": "random", "samples": 7, "seed": 3})))
    c = expand(load_sweep(write_sweep(axes=axes, search={"method": "random", "samples": 7, "seed": 4})))
    assert a == b != c and len({tuple(p.values()) for p in a}) == 7


def test_point_hash_is_the_resolved_config(write_sweep):
    # 16 comparators is the preset's value: setting it explicitly is the same design point
    s = load_sweep(write_sweep(axes={"hw.topk.parallelism": [16, 8]}))
    r = Resolver(s, write_sweep(axes={"hw.topk.parallelism": [16, 8]}))
    same, other = r.resolve_all(expand(s))
    base = r.resolve(0, {})
    assert same.point_id == base.point_id != other.point_id
    assert len(same.point_id) == 16


def test_cross_field_rule_makes_an_infeasible_point(write_sweep):
    s = load_sweep(write_sweep(axes={"hw.qk.multipliers": [384]}))
    (p,) = Resolver(s, write_sweep()).resolve_all(expand(s))
    assert p.plan is None and p.error == "hardware: qk.multipliers must be a power of two, not 384"


def test_objectives_listed_by_name_take_their_default_direction(write_sweep):
    spec = load_sweep(write_sweep(objectives=["cycles", "quality_mass_recall", "gops", "quality_out_err"]))
    assert spec.objectives == {"cycles": "min", "quality_mass_recall": "max", "gops": "max", "quality_out_err": "min"}
    assert list(load_sweep(write_sweep()).objectives.items()) == [("cycles", "min"), ("energy_j", "min")]


@pytest.mark.parametrize(("fields", "pattern"), [
    ({"axes": {"hw.qk.multiplers": [1]}}, r"field 'axes\.hw\.qk\.multiplers': unknown path: no field "
                                          r"'qk\.multiplers'; expected one of: multipliers, bits, latency$"),
    ({"axes": {"hardware.qk": [1]}}, r"field 'axes\.hardware\.qk': unknown path; expected hw\.<field>"),
    ({"axes": {"hw.topk.parallelism": []}}, r"field 'axes\.hw\.topk\.parallelism': empty axis"),
    ({"axes": {"hw.clock_ghz": ["fast"]}}, r"field 'axes\.hw\.clock_ghz': Input should be a valid number.*'fast'"),
    ({"axes": {"hw.dram.channels": [0]}}, r"field 'axes\.hw\.dram\.channels': Input should be greater than 0"),
    ({"axes": {"policy.values": [1.5]}}, r"field 'axes\.policy\.values': Input should be less than or equal to 1"),
    ({"axes": {"hw.dram.channels": {"range": [8, 2, 1]}}}, r"'axes\.hw\.dram\.channels': range needs start <= stop"),
    ({"axes": {"hw.dram.channels": 4}}, r"'axes\.hw\.dram\.channels': expected a list of values"),
    ({"zip": [{"hw": ["spatten"], "policy": ["spatten", "dense"]}]}, r"field 'zip\.0': zipped axes need equal"),
    ({"objectives": {"latency": "min"}}, r"field 'objectives': unknown objective 'latency'; expected one of: cycles"),
    ({"objectives": {"cycles": "smallest"}}, r"field 'objectives\.cycles': Input should be 'min' or 'max'"),
    ({"objectives": ["cycles", "cycles"]}, r"field 'objectives': an objective appears twice in \['cycles', 'cycles'\]"),
    ({"objectives": ["cycles", "latency"]}, r"field 'objectives': unknown objective 'latency'"),
    ({"constraints": ["area < two"]}, r"field 'constraints': expected 'METRIC <= NUMBER'"),
    ({"search": {"method": "random"}}, r"field 'search': search method random needs samples"),
    ({"timings": "fast"}, r"field 'timings': unknown field; expected one of: version, name, base"),
    ({"base": {"hw": "nosuch", "workload": "x.csv"}}, r"field 'base\.hw': unknown hardware preset 'nosuch'"),
])
def test_bad_sweep_file(write_sweep, capsys, fields, pattern):
    path = write_sweep("bad", **fields)
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", str(path), "-o", str(path.parent / "out"), "-j", "1"])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"accelsim: error: {path}: "), lines
    assert re.search(pattern, lines[0]), lines[0]


def test_bad_sweep_file_from_the_shell(write_sweep):
    p = run_cli("sweep", write_sweep("bad", objectives={"latency": "min"}))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "field 'objectives': unknown objective 'latency'" in p.stderr


@pytest.mark.parametrize("name", ["quickstart", "topk_parallelism", "dram_bandwidth", "spatten_vs_dense",
                                  "policies_budgets"])
def test_shipped_sweeps_are_valid(name):
    path = ROOT / "sweeps" / f"{name}.yaml"
    s = load_sweep(path)
    points = Resolver(s, path).resolve_all(expand(s))
    assert points and all(not p.error for p in points)


def test_missing_workload(write_sweep):
    s = load_sweep(write_sweep(base={"workload": "nosuch.csv"}))
    with pytest.raises(InputError, match=r"field 'base\.workload': workload file .*nosuch\.csv' does not exist"):
        Resolver(s, write_sweep()).resolve(0, {})


def test_axes_reach_every_policy_model(write_sweep):
    # fields of any registered policy can be swept (the axis is checked against every model)
    s = load_sweep(write_sweep(axes={"policy": ["h2o", "snapkv"], "policy.budget": [0.1, 0.5]}))
    assert len(expand(s)) == 4
    with pytest.raises(InputError, match=r"policy\.budget.*less than or equal to 1"):
        load_sweep(write_sweep(axes={"policy.budget": [2.0]}))
