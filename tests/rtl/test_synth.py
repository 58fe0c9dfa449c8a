
import pytest
import yaml

from accelsim.rtl.topk import harness, synth
from accelsim.topk import TopKParams

PARAMS = TopKParams(parallelism=4, index_width=8)


def fake_report(luts):
    return {"engine": "quickselect", "params": PARAMS.as_dict(), "luts": luts,
            "ffs": 10, "carries": 3, "brams": 16, "generic_cells": 99, "fmax_mhz": 40.5,
            "device": "iCE40HX8K-CT256"}


def test_record_adds_and_replaces(tmp_path):
    table = tmp_path / "fpga.yaml"
    table.write_text("# measured on the bench\n")
    synth.record(fake_report(100), table)
    synth.record(fake_report(120), table)
    assert table.read_text().startswith("# measured on the bench\n")
    data = yaml.safe_load(table.read_text())
    (key, entry), = data["topk"].items()
    assert key == synth.record_key("quickselect", PARAMS)
    assert entry["luts"] == 120 and entry["brams"] == 16 and entry["fmax_mhz"] == 40.5
    assert entry["params"]["parallelism"] == 4 and "synth_ice40" in entry["source"]


def test_record_key_names_every_parameter():
    key = synth.record_key("streaming", TopKParams(max_k=3))
    assert key.startswith("streaming-") and "-max_k=3" in key and "-parallelism=16" in key


def test_build_needs_yosys(monkeypatch, tmp_path):
    monkeypatch.setattr(harness.shutil, "which", lambda _: None)
    with pytest.raises(harness.ToolMissing, match=r"^yosys not found; install it with: sudo "
                                                  r"apt-get install yosys$"):
        synth.build("quickselect", PARAMS, tmp_path)
