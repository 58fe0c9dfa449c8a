"""``accelsim dram replay``: output keys, errors with exit status 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from accelsim.cli import main
from accelsim.hw.dram import load_dram, write_dram_trace
from tests.conftest import cli


@pytest.fixture
def trace(tmp_path):
    path = tmp_path / "t.trace"
    write_dram_trace(path, np.arange(256) * 32, np.zeros(256))
    return path


def test_json_keys(trace, capsys):
    main(["dram", "replay", str(trace), "--dram", "hbm2-spatten", "--issue", "per-channel",
          "--json"])
    out = json.loads(capsys.readouterr().out)
    for key in ("cycles", "seconds", "gbps", "row_hit_rate", "energy_j"):
        assert key in out
    assert out["requests"] == 256
    assert out["seconds"] == pytest.approx(out["cycles"] * 1e-9)


def test_text_output(trace, capsys):
    main(["dram", "replay", str(trace), "--dram", "ddr4-2400"])
    out = capsys.readouterr().out
    assert out.lstrip().startswith("ddr4-2400 (DDR4), in-order issue, 256 requests")
    assert "row hits" in out


def test_bad_trace_line(tmp_path):
    path = tmp_path / "bad.trace"
    path.write_text("0x0 READ 0\n0x40 READ soon\n")
    r = cli("dram", "replay", str(path))
    assert r.returncode == 2
    assert r.stderr.strip().endswith(
        "bad.trace: field 'line 2': cycle must be a non-negative integer, not 'soon'")
    assert "Traceback" not in r.stderr


def test_bad_dram_yaml(trace, tmp_path):
    path = tmp_path / "dram.yaml"
    path.write_text("name: x\nstandard: DDR4\nsource: test\n")
    r = cli("dram", "replay", str(trace), "--dram", str(path))
    assert r.returncode == 2
    assert "dram.yaml: field 'organisation': Field required" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["timing"].pop("tRCD"), "field 'timing.tRCD': Field required"),
    (lambda d: d["timing"].update(tRP=-1), "field 'timing.tRP': Input should be greater than 0"),
    (lambda d: d["organisation"].update(channels=0),
     "field 'organisation.channels': Input should be greater than 0"),
    (lambda d: d["organisation"].update(banks_per_group=3),
     "field 'organisation.banks_per_group': must be a power of two"),
])
def test_bad_dram_table_names_file_and_field(trace, tmp_path, edit, message):
    data = load_dram("ddr4-2400").model_dump(mode="json")
    edit(data)
    path = tmp_path / "part.yaml"
    path.write_text(yaml.safe_dump(data))
    r = cli("dram", "replay", str(trace), "--dram", str(path))
    assert r.returncode == 2
    assert f"part.yaml: {message}" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_issue_mode(trace):
    r = cli("dram", "replay", str(trace), "--issue", "random")
    assert r.returncode == 2
    assert "must be one of in-order, per-channel" in r.stderr
