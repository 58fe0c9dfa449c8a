import json

import pytest

from accelsim.cli import main
from accelsim.cli.rtl import UNITS
from accelsim.rtl.topk import ENGINE_COMPONENTS, harness


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.mark.parametrize(("args", "message"), [
    (["rtl", "verify", "dram"], f"field 'UNIT': no RTL for unit 'dram'; expected one of: {', '.join(UNITS)}"),
    (["rtl", "verify", "topk", "--engine", "bogus"],
     "field '--engine': no RTL for top-k engine 'bogus'; expected one of: "
     + ", ".join(sorted(ENGINE_COMPONENTS))),
    (["rtl", "build", "topk", "--parallelism", "0"],
     "bad top-k parameters: parallelism must be a positive integer, not 0"),
    (["rtl", "verify", "topk", "--vectors", "-1"],
     "field '--vectors': must be a non-negative integer, not -1"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    code, _, err = run(args, capsys)
    assert code == 2
    assert err == f"accelsim: error: {message}\n"


def test_rtl_parameter_rule_reported(capsys):
    code, _, err = run(["rtl", "verify", "topk", "--parallelism", "3"], capsys)
    assert code == 2 and "parallelism must be a power of two in RTL, not 3" in err


@pytest.mark.parametrize(("command", "tool"), [("verify", "iverilog"), ("build", "yosys")])
def test_missing_tool_names_debian_package(command, tool, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(harness.shutil, "which", lambda _: None)
    code, _, err = run(["rtl", command, "topk", "--workdir" if command == "verify" else "-o",
                        str(tmp_path)], capsys)
    assert code == 2
    assert err == (f"accelsim: error: {tool} not found; install it with: "
                   f"sudo apt-get install {tool}\n")


def test_verify_json(capsys, tmp_path):
    main(["rtl", "verify", "topk", "--engine", "streaming", "--index-width", "4", "--max-k", "4",
          "--vectors", "6", "--seed", "3", "--json", "--workdir", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert {"vectors", "mismatches", "rtl_cycles_mean", "model_cycles_mean", "cycle_error_mean",
            "cycle_error_max"} <= set(report)
    assert report["mismatches"] == 0 and report["vectors"] >= 6 + 10


@pytest.mark.slow
def test_build_report(capsys, tmp_path):
    main(["rtl", "build", "topk", "--engine", "streaming", "--index-width", "4", "--max-k", "4",
          "-o", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["luts"] > 0 and report["ffs"] > 0 and report["generic_cells"] > 0
    assert report["fmax_mhz"] > 0 and (tmp_path / "topk.v").exists()
    assert json.loads((tmp_path / "report.json").read_text()) == report


@pytest.mark.parametrize(("command", "declared"), [("build", "RTL_BUILD"), ("verify", "RTL_VERIFY")])
def test_option_defaults_come_from_the_params_model(command, declared):
    import typer

    from accelsim.cli.rtl import rtl_app
    from accelsim.topk import params as topk_params_module

    expect = getattr(topk_params_module, declared)
    cmd = typer.main.get_command(rtl_app).commands[command]
    options = {p.name: p for p in cmd.params if p.name in type(expect).model_fields}
    assert set(options) == set(type(expect).model_fields) - {"fifo_depth"}  # fifo_depth: area model only
    for name, opt in options.items():
        want = None if name == "input_parallelism" else getattr(expect, name)  # None: parallelism
        assert opt.default == want, name
        assert opt.help.startswith(" ".join(type(expect).model_fields[name].description.split())), name


@pytest.mark.parametrize(("args", "message"), [
    (["rtl", "build", "topk", "--pivot-seed", "0"],
     "bad top-k parameters: pivot_seed must be a positive integer, not 0"),
    (["rtl", "verify", "topk", "--pivot-seed", "65536"],
     "bad top-k parameters: pivot_seed must be below 65536, not 65536"),
    (["rtl", "verify", "topk", "--engine", "streaming", "--pivot-seed", "7"],
     "field '--pivot-seed': read only by the quickselect engine (--engine is 'streaming'): leave it at its "
     "default or change the engine"),
    (["rtl", "build", "topk", "--z-frac-bits", "6"],
     "field '--z-frac-bits': read only by the statistical engine (--engine is 'quickselect'): leave it at its "
     "default or change the engine"),
])
def test_engine_params_checked_by_field(args, message, capsys):
    code, _, err = run(args, capsys)
    assert code == 2 and err == f"accelsim: error: {message}\n"


def test_hw_pivot_seed_reaches_the_rtl(monkeypatch, tmp_path, capsys):
    """`rtl build --hw` passes hw.topk.pivot_seed to the RTL: the LFSR reset value in the Verilog."""
    from accelsim.rtl.topk import synth

    seen = []
    monkeypatch.setattr(synth, "build", lambda engine, params, out, **kw: seen.append(params) or {})
    hw = tmp_path / "hw.yaml"
    hw.write_text("extends: spatten\ntopk: {pivot_seed: 4660, parallelism: 4, index_width: 8}\n")
    main(["rtl", "build", "topk", "--hw", str(hw), "-o", str(tmp_path / "out"), "--json"])
    assert seen and seen[0].pivot_seed == 4660 and seen[0].parallelism == 4
