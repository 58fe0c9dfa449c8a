import json
from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.cli._rtl_units import rtl_units
from accelsim.rtl.topk import ENGINE_COMPONENTS, harness


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["rtl", "verify", "dram"],
            lambda: f"field 'UNIT': no RTL for unit 'dram'; expected one of: {', '.join(rtl_units())}",
        ),
        (
            ["rtl", "verify", "topk", "--engine", "bogus"],
            lambda: (
                "field '--engine': no RTL for top-k engine 'bogus'; expected one of: "
                + ", ".join(sorted(ENGINE_COMPONENTS))
            ),
        ),
        (
            ["rtl", "build", "topk", "--parallelism", "0"],
            "bad top-k parameters: parallelism must be a positive integer, not 0",
        ),
        (["rtl", "verify", "topk", "--vectors", "-1"], "field '--vectors': must be a non-negative integer, not -1"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    # the lists are read when the test runs: plug-in units another test of this process loaded count too
    code, _, err = run(args, capsys)
    assert code == 2
    assert err == f"accelsim: error: {message() if callable(message) else message}\n"


def test_rtl_parameter_rule_reported(capsys):
    code, _, err = run(["rtl", "verify", "topk", "--parallelism", "3"], capsys)
    assert code == 2 and "parallelism must be a power of two in RTL, not 3" in err


def test_missing_simulator_names_debian_package(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(harness.shutil, "which", lambda _: None)
    code, _, err = run(["rtl", "verify", "topk", "--workdir", str(tmp_path)], capsys)
    assert code == 2
    assert err == "accelsim: error: iverilog not found; install it with: sudo apt-get install iverilog\n"


def test_missing_fpga_tool_names_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("YOSYS", raising=False)
    monkeypatch.setattr(harness.shutil, "which", lambda _: None)
    code, _, err = run(["rtl", "build", "topk", "-o", str(tmp_path)], capsys)
    assert code == 2
    assert err == (
        "accelsim: error: yosys not found; install the FPGA tools with: pip install 'accelsim[fpga]' "
        "(YoWASP builds), or point $YOSYS at a binary\n"
    )


def test_verify_json(capsys, tmp_path):
    main(
        [
            "rtl",
            "verify",
            "topk",
            "--engine",
            "streaming",
            "--index-width",
            "4",
            "--param",
            "max_k=4",
            "--vectors",
            "6",
            "--seed",
            "3",
            "--json",
            "--workdir",
            str(tmp_path),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert {
        "vectors",
        "mismatches",
        "rtl_cycles_mean",
        "model_cycles_mean",
        "cycle_error_mean",
        "cycle_error_max",
    } <= set(report)
    assert report["mismatches"] == 0 and report["vectors"] >= 6 + 10


@pytest.mark.slow
def test_build_report(capsys, tmp_path):
    """A real bitstream: the streaming engine with 4 slots on the iCE40 breakout (minutes)."""
    main(
        [
            "rtl",
            "build",
            "topk",
            "--engine",
            "streaming",
            "--index-width",
            "4",
            "--param",
            "max_k=4",
            "-o",
            str(tmp_path),
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert report["luts"] > 0 and report["ffs"] > 0 and report["fmax_mhz"] > report["target_mhz"] == 12.0
    assert (tmp_path / "topk.bin").stat().st_size > 0 and (tmp_path / "nextpnr.log").exists()
    assert json.loads((tmp_path / "report.json").read_text()) == report


def fake_report(**over):
    return {
        "engine": "quickselect",
        "params": {},
        "board": "ice40-hx8k-evn",
        "device": "iCE40HX8K-CT256",
        "bitstream": "topk.bin",
        "luts": 1,
        "ffs": 1,
        "brams": 0,
        "dsps": 0,
        "fmax_mhz": 50.0,
        "target_mhz": 12.0,
        **over,
    }


def test_board_option_agrees_with_the_board_registry():
    import typer

    from accelsim.cli import rtl
    from accelsim.rtl.boards import BOARDS, DEFAULT_BOARD

    cmd = typer.main.get_command(rtl.rtl_app).commands["build"]
    board = next(p for p in cmd.params if p.name == "board")
    assert board.default == rtl.DEFAULT_BOARD == DEFAULT_BOARD
    assert ", ".join(BOARDS) in " ".join(board.help.split())


def test_unknown_board_is_exit_2(capsys, tmp_path):
    code, _, err = run(["rtl", "build", "topk", "--board", "de0", "-o", str(tmp_path)], capsys)
    assert code == 2 and err == (
        "accelsim: error: field '--board': unknown board 'de0'; expected one of: "
        "ice40-hx8k-evn, ulx3s-85f, ulx3s-45f, ecp5-5g-evn\n"
    )


def test_design_that_does_not_fit_is_exit_2_with_the_resource(monkeypatch, capsys, tmp_path):
    from accelsim.rtl import fpga
    from accelsim.rtl.topk import synth

    def no_fit(engine, params, out, **kw):
        raise fpga.DoesNotFit("iCE40HX8K-CT256", {"ICESTORM_LC": (9321, 7680)}, Path("nextpnr.log"))

    monkeypatch.setattr(synth, "build", no_fit)
    code, _, err = run(["rtl", "build", "topk", "--parallelism", "16", "-o", str(tmp_path)], capsys)
    assert code == 2 and err == (
        "accelsim: error: field '--board': quickselect with P=16, n<=256 does not fit the "
        "iCE40HX8K-CT256: ICESTORM_LC 9321 of 7680 (nextpnr packer; log nextpnr.log)\n"
    )


def test_missed_timing_is_exit_1(monkeypatch, capsys, tmp_path):
    from accelsim.rtl.topk import synth

    monkeypatch.setattr(synth, "build", lambda engine, params, out, **kw: fake_report(fmax_mhz=9.5))
    code, out, err = run(["rtl", "build", "topk", "-o", str(tmp_path)], capsys)
    assert code == 1 and "fmax 9.5 MHz (board clock 12.0 MHz)" in out
    assert err == ("accelsim: error: misses timing on ice40-hx8k-evn: fmax 9.5 MHz below the 12.0 MHz board clock\n")


def test_run_simulated_board(capsys, tmp_path):
    main(
        [
            "rtl",
            "run",
            "topk",
            "--engine",
            "streaming",
            "--index-width",
            "3",
            "--param",
            "max_k=2",
            "--jobs",
            "2",
            "--workdir",
            str(tmp_path),
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert report["mismatches"] == 0 and report["vectors"] >= 2 and report["target"] == "simulation (divisor 4)"


def test_run_port_that_does_not_open_is_exit_2(capsys, tmp_path):
    code, _, err = run(["rtl", "run", "topk", "--port", str(tmp_path / "ttyNONE"), "--jobs", "1"], capsys)
    assert code == 2 and err.startswith(f"accelsim: error: field '--port': cannot open '{tmp_path / 'ttyNONE'}'")


class Built(Exception):
    """Raised by a stand-in for the RTL check with the params a command built."""


@pytest.mark.parametrize("command", ["build", "verify"])
def test_option_defaults_come_from_the_engines_model(command, monkeypatch):
    # the shared options name TopKParams' fields and default to None: the engine model's command table
    import typer

    from accelsim.cli import rtl
    from accelsim.topk import ENGINES, TopKParams

    cmd = typer.main.get_command(rtl.rtl_app).commands[command]
    options = {p.name: p for p in cmd.params if p.name in TopKParams.model_fields}
    assert set(options) == set(TopKParams.model_fields) - {"fifo_depth"}  # fifo_depth: area model only
    for name, opt in options.items():
        assert opt.default is None, name
        assert opt.help.startswith(" ".join(TopKParams.model_fields[name].description.split())), name

    def built(unit, engine, params, source):
        raise Built(params)

    monkeypatch.setattr(rtl, "_check", built)
    for engine in sorted(ENGINE_COMPONENTS):
        with pytest.raises(Built) as got:
            main(["rtl", command, "topk", "-e", engine])
        model = ENGINES[engine].params_type
        assert got.value.args[0] == model(**(model.rtl_build if command == "build" else model.rtl_verify)), engine
        with pytest.raises(Built) as got:  # an option, then --param, over the table
            main(["rtl", command, "topk", "-e", engine, "--width", "7"])
        assert got.value.args[0].width == 7


def test_param_sets_the_engines_own_field(monkeypatch):
    from accelsim.cli import rtl

    def built(unit, engine, params, source):
        raise Built(params)

    monkeypatch.setattr(rtl, "_check", built)
    with pytest.raises(Built) as got:
        main(["rtl", "build", "topk", "-e", "streaming", "-p", "max_k=5", "--index-width", "5"])
    assert (got.value.args[0].max_k, got.value.args[0].index_width) == (5, 5)
    with pytest.raises(Built) as got:
        main(["rtl", "verify", "topk", "-e", "streaming", "-p", "max_k=null"])
    assert got.value.args[0].max_k is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["rtl", "build", "topk", "--param", "pivot_seed=0"],
            "bad top-k parameters: pivot_seed must be a positive integer, not 0",
        ),
        (
            ["rtl", "verify", "topk", "-p", "pivot_seed=65536"],
            "bad top-k parameters: pivot_seed must be below 65536, not 65536",
        ),
        (
            ["rtl", "verify", "topk", "--engine", "streaming", "--param", "pivot_seed=7"],
            "field '--param pivot_seed': read only by the quickselect engine (--engine is 'streaming'; its own: max_k)",
        ),
        (
            ["rtl", "build", "topk", "--param", "z_frac_bits=6"],
            "field '--param z_frac_bits': read only by the statistical engine (--engine is 'quickselect'; its own: "
            "pivot_seed)",
        ),
        (
            ["rtl", "build", "topk", "-e", "sorter", "--param", "bogus=6"],
            "field '--param bogus': not a parameter (--engine is 'sorter'; it has none of its own)",
        ),
        (["rtl", "build", "topk", "--param", "pivot_seed"], "field '--param': expected NAME=VALUE, got 'pivot_seed'"),
        (
            ["rtl", "build", "topk", "--param", "pivot_seed=[1"],
            "field '--param pivot_seed': value is not valid YAML: '[1'",
        ),
    ],
)
def test_engine_params_checked_by_field(args, message, capsys):
    code, _, err = run(args, capsys)
    assert code == 2 and err == f"accelsim: error: {message}\n"


def test_hw_pivot_seed_reaches_the_rtl(monkeypatch, tmp_path, capsys):
    """`rtl build --hw` passes hw.topk.pivot_seed to the RTL: the LFSR reset value in the Verilog."""
    from accelsim.rtl.topk import synth

    seen = []
    monkeypatch.setattr(synth, "build", lambda engine, params, out, **kw: seen.append(params) or fake_report())
    hw = tmp_path / "hw.yaml"
    hw.write_text("extends: spatten\ntopk: {pivot_seed: 4660, parallelism: 4, index_width: 8}\n")
    main(["rtl", "build", "topk", "--hw", str(hw), "-o", str(tmp_path / "out"), "--json"])
    assert seen and seen[0].pivot_seed == 4660 and seen[0].parallelism == 4


def test_record_lists_the_sweeps_designs(capsys):
    sweep = Path(__file__).parents[2] / "sweeps" / "quickstart.yaml"
    main(["rtl", "record", str(sweep), "--dry-run"])
    lines = capsys.readouterr().out.splitlines()
    # quickstart.yaml sweeps 4 top-k parallelisms; DRAM channels and QxK multipliers leave the engine as it is
    assert [line.split("]")[0] for line in lines] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert sorted(int(line.split("-parallelism=")[1].split("-")[0]) for line in lines) == [4, 8, 16, 32]


def test_timeout_must_be_positive(capsys, tmp_path):
    code, _, err = run(["rtl", "build", "topk", "--timeout", "0", "-o", str(tmp_path)], capsys)
    assert code == 2 and err == "accelsim: error: field '--timeout': must be a positive number of seconds, not 0\n"


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ("--router 'router2", "expected nextpnr options as shell words: No closing quotation"),
        ("--report r.json", "the flow sets --report itself; leave it out"),
    ],
)
def test_bad_nextpnr_options_are_exit_2(opts, message, capsys, tmp_path):
    for cmd in (["build", "topk", "-o", str(tmp_path)], ["record", "s.yaml", "--dry-run"]):
        code, _, err = run(["rtl", *cmd, "--nextpnr-opts", opts], capsys)
        assert code == 2 and err == f"accelsim: error: field '--nextpnr-opts': {message}\n"


def test_stream_unit_refuses_nextpnr_options(capsys, tmp_path):
    code, _, err = run(["rtl", "build", "softmax", "--nextpnr-opts", "--router router2", "-o", str(tmp_path)], capsys)
    assert code == 2 and err.startswith("accelsim: error: field '--nextpnr-opts': the softmax unit builds alone")


def test_record_passes_its_nextpnr_options(monkeypatch, capsys, tmp_path):
    from accelsim.rtl import fpga
    from accelsim.rtl.topk import synth
    from accelsim.topk import engine_params

    seen = []

    def fails(engine, params, out, *, nextpnr_opts, **kw):
        seen.append(nextpnr_opts)
        raise fpga.ToolFailed("nextpnr-ecp5 failed (exit 1)")

    monkeypatch.setattr(synth, "sweep_designs", lambda sweeps: [("quickselect", engine_params("quickselect"))])
    monkeypatch.setattr(synth, "build", fails)
    monkeypatch.setattr(fpga, "resolve_tool", lambda name: name)  # the tools need not be installed
    args = ["--nextpnr-opts", "--router router2 --seed 3", "--table", str(tmp_path / "t.yaml"), "-o", str(tmp_path)]
    code, _, _ = run(["rtl", "record", "s.yaml", *args], capsys)
    assert code == 1 and seen == [("--router", "router2", "--seed", "3")]


def test_step_past_timeout_is_exit_1_naming_step_limit_and_log(monkeypatch, capsys, tmp_path):
    """Stand-in tools: yosys finishes, nextpnr's router never does."""
    from tests.rtl.test_fpga import fake_tool

    monkeypatch.setenv("YOSYS", str(fake_tool(tmp_path, "yosys", "echo synthesized")))
    nextpnr = 'while [ $# -gt 0 ]; do [ "$1" = --log ] && LOG=$2; shift; done\necho routing >> $LOG\nexec sleep 600'
    monkeypatch.setenv("NEXTPNR_ICE40", str(fake_tool(tmp_path, "nextpnr", nextpnr)))
    monkeypatch.setenv("ICEPACK", str(fake_tool(tmp_path, "icepack", "echo packed")))
    out = tmp_path / "out"
    code, _, err = run(
        [
            "rtl",
            "build",
            "topk",
            "--engine",
            "streaming",
            "--index-width",
            "4",
            "--param",
            "max_k=4",
            "--timeout",
            "2",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 1
    assert err.splitlines()[-1] == (
        f"accelsim: error: place and route (nextpnr) stopped at its 2 s limit (--timeout); log {out / 'topk.tim'}"
    )
    assert sum("error" in line for line in err.splitlines()) == 1
    assert (out / "topk.tim").read_text() == "routing\n" and (out / "yosys.log").read_text() == "synthesized\n"


def test_record_passes_its_timeout_and_skips_a_design_past_it(monkeypatch, capsys, tmp_path):
    from accelsim.rtl import fpga
    from accelsim.rtl.topk import synth
    from accelsim.topk import engine_params

    limits = []

    def too_slow(engine, params, out, *, timeout_s, **kw):
        limits.append(timeout_s)
        raise fpga.StepTimedOut("place and route", "nextpnr-ecp5", timeout_s, out / "topk.tim")

    monkeypatch.setattr(synth, "sweep_designs", lambda sweeps: [("quickselect", engine_params("quickselect"))])
    monkeypatch.setattr(synth, "build", too_slow)
    monkeypatch.setattr(fpga, "resolve_tool", lambda name: name)  # the tools need not be installed
    table = tmp_path / "table.yaml"
    code, out, err = run(
        ["rtl", "record", "s.yaml", "--timeout", "5", "--table", str(table), "-o", str(tmp_path)], capsys
    )
    assert code == 1 and limits == [5.0] and "skipped" in out and not table.exists()
    assert err.splitlines()[-1].startswith("accelsim: error: place and route (nextpnr-ecp5) stopped at its 5 s limit")
