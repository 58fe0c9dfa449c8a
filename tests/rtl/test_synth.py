"""The FPGA build's report and its cost table; the designs of the shipped sweeps."""

from pathlib import Path

import yaml

from accelsim.hw.fpga import FPGA_COLUMNS, load_table
from accelsim.hw.rtl_tables import find_entry
from accelsim.rtl.topk import synth
from accelsim.topk import engine_params

PARAMS = engine_params("quickselect", parallelism=4, index_width=8)
SWEEPS = sorted(str(p) for p in (Path(__file__).parents[2] / "sweeps").glob("*.yaml"))


def fake_report(luts):
    return {
        "engine": "quickselect",
        "params": PARAMS.as_dict(),
        "luts": luts,
        "ffs": 10,
        "brams": 16,
        "dsps": 0,
        "fmax_mhz": 40.5,
        "target_mhz": 12.0,
        "device": "iCE40HX8K-CT256",
        "board": "ice40-hx8k-evn",
        "date": "2026-12-04",
    }


def test_record_adds_and_replaces(tmp_path):
    table = tmp_path / "fpga.yaml"
    table.write_text("# measured on the bench\n")
    synth.record(fake_report(100), table)
    synth.record(fake_report(120), table)
    assert table.read_text().startswith("# measured on the bench\n")
    data = yaml.safe_load(table.read_text())
    ((key, entry),) = data["topk"].items()
    assert key == synth.record_key("quickselect", PARAMS)
    assert {c: entry[c] for c in FPGA_COLUMNS} == {c: fake_report(120)[c] for c in FPGA_COLUMNS}
    assert entry["params"]["parallelism"] == 4
    assert entry["source"].startswith("accelsim rtl build --board ice40-hx8k-evn (2026-12-04)")


def test_record_names_more_nextpnr_options(tmp_path):
    table = tmp_path / "fpga.yaml"
    synth.record({**fake_report(100), "nextpnr_opts": ["--router", "router2"]}, table)
    (entry,) = yaml.safe_load(table.read_text())["topk"].values()
    assert entry["source"].startswith("accelsim rtl build --board ice40-hx8k-evn --nextpnr-opts '--router router2' (")


def test_record_key_names_every_parameter():
    key = synth.record_key("streaming", engine_params("streaming", max_k=3))
    assert key.startswith("streaming-") and "-max_k=3" in key and "-parallelism=16" in key


def test_sweep_designs_are_the_shipped_presets_points():
    designs = synth.sweep_designs(SWEEPS)
    # the spatten preset (P = 16, n <= 1024, softmax's 8 scores a beat) is swept in every file
    spatten = engine_params("quickselect", parallelism=16, index_width=10, input_parallelism=8)
    assert ("quickselect", spatten) in designs
    # topk_parallelism.yaml: 1 to 32 comparators, the input rate capped at P
    assert {p.parallelism for e, p in designs if e == "quickselect"} == {1, 2, 4, 8, 16, 32}
    assert len(designs) == len(set(designs))


def test_every_shipped_sweep_design_has_a_measured_fpga_cost():
    # the topk_fpga_* columns of every shipped sweep's rows are filled (issue 17); build a missing one
    # with `accelsim rtl record sweeps/<file>.yaml --board ulx3s-85f`
    recorded = load_table().topk
    missing = [synth.record_key(e, p) for e, p in synth.sweep_designs(SWEEPS) if find_entry(recorded, e, p) is None]
    assert missing == []


def test_sweep_without_topk_hardware_has_no_designs(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        f"version: 1\nname: d\nbase: {{hw: dense, policy: dense, workload: "
        f"{Path(SWEEPS[0]).parent / '../workloads/spatten/summary-gpt2-small-wikitext2-per8.csv'}}}\n"
        "axes:\n  hw.dram.channels: [2, 4]\n"
    )
    assert synth.sweep_designs([str(sweep)]) == []
