"""``accelsim run`` as a user runs it, including every kind of bad input."""

import json
import re

import pytest

from accelsim.config import preset_names
from tests.conftest import CSV_PRUNED, cli

KEYS = {"cycles", "seconds", "ops", "gops", "dram_bytes", "dram_bytes_by", "energy_j", "energy_by",
        "area_mm2", "requests", "quality"}


def test_run_json_csv(gpt2_run):
    res, out = gpt2_run
    assert set(res) >= KEYS
    assert {"key", "value"} <= set(res["dram_bytes_by"])
    assert res["requests"] == 4608 and res["quality"] is None
    assert json.loads(out.read_text()) == res


@pytest.mark.smoke
def test_run_trace_table(small_trace_file):
    p = cli("run", "-w", small_trace_file, "--set", "hw.topk.parallelism=8")
    assert p.returncode == 0, p.stderr
    assert "attention-mass recall" in p.stdout and "energy by component" in p.stdout
    assert "quality by layer" in p.stdout


def test_run_trace_json_quality(small_trace_file):
    p = cli("run", "-w", small_trace_file, "--json", "--phases", "decode")
    q = json.loads(p.stdout)["quality"]
    assert 0 < q["mass_recall"] <= 1 and q["out_err"] >= 0 and len(q["per_layer"]) == 4


@pytest.mark.parametrize("policy", ["h2o", "a2ats"])
def test_run_other_policies(small_trace_file, policy):
    p = cli("run", "-w", small_trace_file, "--policy", policy, "--set", "policy.budget=0.2", "--json",
            "--phases", "decode")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["policy"] == policy and 0 < res["quality"]["topk_recall"] <= 1
    assert res["dram_bytes"] == pytest.approx(sum(res["dram_bytes_by"].values()))


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "malformed.yaml").write_text("qk: [1, 2\n")
    (d / "unknown.yaml").write_text("qk: {multiplers: 512}\n")
    (d / "type.yaml").write_text("clock_ghz: fast\n")
    (d / "nan.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    lines = CSV_PRUNED.read_text().splitlines()
    header = lines[0].replace("key_fetch_num,", "")
    (d / "cols.csv").write_text("\n".join([header, *lines[1:5]]) + "\n")
    (d / "x.txt").write_text("hello")
    return d


@pytest.mark.parametrize(("args", "pattern"), [
    (["--hw", "{d}/malformed.yaml"], r"malformed\.yaml: malformed YAML: line 2"),
    (["--hw", "{d}/unknown.yaml"], r"unknown\.yaml: field 'qk\.multiplers': unknown field"),
    (["--hw", "{d}/type.yaml"], r"type\.yaml: field 'clock_ghz': Input should be a valid number"),
    (["--hw", "nosuch"], r"unknown hardware preset 'nosuch'; expected one of: "
                         + re.escape(", ".join(preset_names("hardware")))),
    (["--policy", "nosuch"], r"unknown policy preset 'nosuch'"),
    (["-w", "{d}/missing.csv"], r"missing\.csv: file does not exist"),
    (["-w", "{d}/cols.csv"], r"cols\.csv: field 'key_fetch_num': missing column"),
    (["-w", "{d}/nan.safetensors"], r"nan\.safetensors: field '__metadata__\.format'"),
    (["-w", "{d}/x.txt"], r"x\.txt: unknown workload type; expected \.csv"),
    (["--set", "hw.qk=3"], r"field 'qk': Input should be a valid dictionary"),
    (["--set", "nonsense"], r"field '--set': expected hw\.PATH=VALUE"),
    (["--set", "hw.topk.jobs_in_flight=3"], r"field 'topk\.jobs_in_flight': Input should be less than or equal to 2"),
    (["--bogus"], r"No such option: --bogus"),
    (["--set", "hw.tech_nm=5"], r"field 'tech_nm': Input should be greater than or equal to 7"),
    (["--set", "hw.sram.cell=ulp"], r"field 'sram\.cell': Input should be 'hp' or 'lstp'"),
    (["--set", "hw.sram.key_kb=1"], r"sram\.key_kb must hold one 512 x 12-bit line in each of its 2 banks"),
    (["--set", "hw.clock_ghz=3"], r"field 'hardware\.sram\.cell': the \w+ unit's hp SRAM macros .* the 3 GHz clock"),
])
def test_bad_input_one_line_exit_2(bad_files, args, pattern):
    args = [a.format(d=bad_files) for a in args]
    if "-w" not in args:
        args += ["-w", str(CSV_PRUNED)]
    p = cli("run", *args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("accelsim: error: ")
    assert re.search(pattern, lines[0]), lines[0]


def test_truncated_trace(small_trace_file, tmp_path):
    t = tmp_path / "trunc.safetensors"
    t.write_bytes(small_trace_file.read_bytes()[:-1000])
    p = cli("run", "-w", t)
    assert p.returncode == 2 and "trunc.safetensors: not a readable safetensors file" in p.stderr


@pytest.mark.parametrize(("fmt", "line"), [
    ("dramsim3", r"^0x[0-9a-f]+ READ \d+$"),
    ("ramulator2", r"^LD 0x[0-9a-f]+$"),
])
def test_dram_trace_export(small_trace_file, tmp_path, fmt, line):
    out = tmp_path / "dram.trace"
    p = cli("run", "-w", small_trace_file, "--json", "--dram-trace", out, "--dram-trace-format", fmt)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    lines = out.read_text().splitlines()
    assert all(re.match(line, s) for s in lines)
    # one 32-byte read per transaction the run fetched, at least (rows straddle transactions)
    assert len(lines) * 32 >= res["dram_bytes"]
    if fmt == "dramsim3":
        cycles = [int(s.split()[-1]) for s in lines]
        assert cycles == sorted(cycles) and cycles[-1] <= res["cycles"]


def test_format_json_is_full_precision(gpt2_run):
    # the tables' numbers are the result's own, unrounded (--json is the result object itself)
    p = cli("run", "-w", CSV_PRUNED, "--format", "json")
    assert p.returncode == 0, p.stderr
    summary = {r["metric"]: r["value"] for r in json.loads(p.stdout)["summary"]}
    res = gpt2_run[0]
    assert summary["energy"] == res["energy_j"] and summary["time"] == res["seconds"]
    assert summary["cycles"] == res["cycles"] and summary["DRAM traffic"] == res["dram_bytes"]
