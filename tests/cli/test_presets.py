"""``accelsim presets``: every shipped preset, one line each, by the name the options take."""

import json

import pytest

from accelsim.cli import main
from accelsim.cli.presets import first_sentence
from accelsim.config import preset_names
from accelsim.hw.dram.spec import standards
from tests.conftest import ROOT


def listed(capsys, *kind: str) -> list[dict]:
    main(["presets", *kind, "--format", "json"])
    return json.loads(capsys.readouterr().out)


def test_every_kind_lists_what_its_option_takes(capsys):
    rows = listed(capsys)
    by = {k: [r["name"] for r in rows if r["kind"] == k] for k in ("hw", "policy", "dram", "roofline", "workload")}
    assert by["hw"] == preset_names("hardware") and by["policy"] == preset_names("policy")
    assert by["dram"] == standards() and by["roofline"] == preset_names("roofline")
    shipped = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "workloads").rglob("*")
        if p.suffix in (".safetensors", ".csv") or p.parent.name == "bert"
    }
    assert set(by["workload"]) == shipped
    assert all(r["description"] and "\n" not in r["description"] for r in rows)


def test_one_kind(capsys):
    rows = listed(capsys, "workload")
    assert {r["kind"] for r in rows} == {"workload"}
    smollm = next(r for r in rows if r["name"].endswith("smollm2-pydoc-416-32.safetensors"))
    assert smollm["description"].endswith("30 layers, 9 heads / 3 KV heads, d=64, T=416, S=32")


def test_workloads_outside_a_source_tree(capsys, monkeypatch, tmp_path):
    from accelsim.cli import presets

    monkeypatch.setattr(presets, "WORKLOADS", tmp_path / "workloads")
    assert "workload" not in {r["kind"] for r in listed(capsys)}  # all kinds: the others
    with pytest.raises(SystemExit) as exc:
        main(["presets", "workload"])
    assert exc.value.code == 2 and "no shipped workloads here" in capsys.readouterr().err


def test_bad_kind_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["presets", "gpu"])
    assert exc.value.code == 2 and "'gpu' is not one of" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (
            "# SpAtten, the design (Wang et al., HPCA 2021, Sec. V). More.\nname: x",
            "SpAtten, the design (Wang et al., HPCA 2021, Sec. V).",
        ),
        ("# ddr4: DDR4 preset. Every number\n# from DRAMsim3.\n", "DDR4 preset."),
        ("name: x\n", ""),
        ("# " + "word, " * 40, "word, " * 14 + "word …"),
    ],
)
def test_first_sentence(text, first):
    assert first_sentence(text, "ddr4") == first
