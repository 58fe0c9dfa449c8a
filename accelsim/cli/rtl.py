"""``accelsim rtl``: build a unit's RTL for an FPGA or price it as 40 nm CMOS, and verify it
against its models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._rtl_units import build_unit, check_unit, param_values, stream_options, verify_unit
from accelsim.errors import InputError
from accelsim.topk.params import TopKParams

rtl_app = typer.Typer(help="Generate, synthesize and verify RTL (Amaranth -> Verilog).", no_args_is_help=True)


CALIBRATION = Path(__file__).parents[1] / "hw" / "tables" / "synth_calibration.yaml"
UnitArg = Annotated[
    str,
    typer.Argument(
        help="Unit: topk, softmax, requant or a registered unit that names its RTL (Unit.rtl, e.g. the example "
        "package's kvwrite); an unknown name lists them."
    ),
]


ENGINE_OPT = typer.Option(
    "--engine", "-e", help="Top-k engine that has RTL (accelsim.rtl.topk; an unknown name lists them)."
)
Engine = Annotated[str, ENGINE_OPT]


def _param_help(name: str) -> str:
    """An option's help: the shared parameter's own docstring (accelsim.topk.params) and where its default
    comes from."""
    info = TopKParams.model_fields[name]
    doc = " ".join((info.description or name).split())
    build, verify = (table.get(name, info.default) for table in (TopKParams.rtl_build, TopKParams.rtl_verify))
    return (
        f"{doc} Default: the engine params model's for the command (rtl_build, rtl_verify; TopKParams: "
        f"build {build}, verify {verify})."
    )


# Option types of the parameters every engine has (None: the engine model's default for the command); an
# engine's own parameters are --param NAME=VALUE, checked against its params model.
Parallelism = Annotated[int | None, typer.Option(help=_param_help("parallelism") + " A power of two in RTL.")]
Width = Annotated[int | None, typer.Option(help=_param_help("width"))]
IndexWidth = Annotated[int | None, typer.Option(help=_param_help("index_width"))]
InputParallelism = Annotated[int | None, typer.Option(help=_param_help("input_parallelism") + " A power of two.")]
Param = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="A parameter of the engine's own, NAME=VALUE (value as YAML), repeatable: e.g. "
        "pivot_seed=4660 (quickselect), max_k=8 (streaming), z_frac_bits=6 (statistical); its params model "
        "(TopKEngine.params_type) declares them, and a wrong name lists them. For a plug-in unit: a field of its "
        "hw.<unit> block that its RTL reads, e.g. bits=8 (kvwrite).",
    ),
]
Hw = Annotated[
    str | None,
    typer.Option(
        "--hw",
        help="Take the engine and all its parameters from this hardware preset or YAML file instead; for a "
        "plug-in unit, its hw.<unit> block (--param over it).",
    ),
]
SHARED_OPTIONS = ("parallelism", "width", "index_width", "input_parallelism")


def _defaults(params_type: type[TopKParams], command: str) -> dict[str, int | None]:
    """The fields of ``params_type`` at ``command``'s defaults (``rtl_build`` for build, ``rtl_verify`` for
    verify and run), ``input_parallelism`` left to follow ``parallelism``."""
    table = params_type.rtl_build if command == "build" else params_type.rtl_verify
    fields = {k: f.default for k, f in params_type.model_fields.items() if k != "input_parallelism"}
    return fields | dict(table)


def _own(engine: str, params_type: type[TopKParams], given: list[str] | None) -> dict[str, object]:
    """The ``--param NAME=VALUE`` options, by name; InputError for a malformed one or a name that is not
    one of ``engine``'s own parameters."""
    from accelsim.topk import ENGINES
    from accelsim.topk.params import engine_fields

    own = engine_fields(params_type)

    def refuse(name: str) -> str | None:
        if name in own:
            return None
        users = [e for e, cls in sorted(ENGINES.items()) if name in engine_fields(cls.params_type)]
        why = f"read only by the {' and '.join(users)} engine" if users else "not a parameter"
        theirs = f"its own: {', '.join(own)}" if own else "it has none of its own"
        return f"{why} (--engine is {engine!r}; {theirs})"

    return param_values(given, refuse)


def _params(
    unit: str, engine: str, hw: str | None, command: str, param: list[str] | None, **shared: int | None
) -> tuple[str, TopKParams]:
    """The engine and params of a command: from ``--hw`` if given, else from the engine's params model at
    the command's defaults, the options ``shared`` (None: that default) and ``--param`` over them."""
    if hw is not None:
        return _from_hardware(unit, hw)
    from accelsim.topk import ENGINES

    _component(unit, engine, None)
    params_type = ENGINES[engine].params_type
    fields = _defaults(params_type, command) | {k: v for k, v in shared.items() if v is not None}
    try:
        params = params_type(**fields | _own(engine, params_type, param))
    except ValueError as err:
        raise InputError(None, None, f"bad top-k parameters: {err}") from None
    return engine, _check(unit, engine, params, None)


def _component(unit: str, engine: str, source: str | None) -> type:
    """The RTL component class of ``engine``; InputError for a unit or engine without RTL."""
    from accelsim.rtl.topk import ENGINE_COMPONENTS

    check_unit(unit)
    if unit != "topk":  # only `rtl run` gets here with another unit
        raise InputError(
            None, "UNIT", f"`rtl run` drives topk's host interface; check the {unit} unit with `rtl verify`"
        )
    if engine not in ENGINE_COMPONENTS:
        field = "--engine" if source is None else "topk.engine"
        raise InputError(
            source,
            field,
            f"no RTL for top-k engine {engine!r}; expected one of: {', '.join(sorted(ENGINE_COMPONENTS))}",
        )
    return ENGINE_COMPONENTS[engine]


def _check(unit: str, engine: str, params: TopKParams, source: str | None) -> TopKParams:
    """``params`` if ``engine``'s RTL can be built with them; else :class:`InputError`."""
    from accelsim.rtl.topk.common import check_params

    cls = _component(unit, engine, source)
    try:
        return check_params(params, lanes=cls.LANES, narrow_input=cls.NARROW_INPUT)
    except ValueError as err:
        raise InputError(source, None, f"bad top-k parameters: {err}") from None


def _from_hardware(unit: str, ref: str) -> tuple[str, TopKParams]:
    """The top-k engine and its params of the hardware preset or file ``ref``."""
    from accelsim.config import load_hardware
    from accelsim.hw.units import topk_params

    hw = load_hardware(ref)
    try:
        params = topk_params(hw)
    except ValueError as err:
        raise InputError(ref, "topk", f"bad top-k parameters: {err}") from None
    return hw.topk.engine, _check(unit, hw.topk.engine, params, ref)


BoardOpt = Annotated[
    str,
    typer.Option(
        "--board",
        help="Board to build the bitstream for: ice40-hx8k-evn, ulx3s-85f, ulx3s-45f, ecp5-5g-evn "
        "(amaranth-boards definitions).",
    ),
]
# the iCE40-HX8K breakout: the engines at their rtl_build parameters fit it. Named here as well as in
# accelsim.rtl.boards, which imports amaranth: the CLI's --help does not (tests/cli/test_rtl.py checks that
# the two agree).
DEFAULT_BOARD = "ice40-hx8k-evn"
# Longest measured step: the P = 16 ECP5 build's place and route took 3,228 s (58 min in all) on the loaded
# 2-core machine (docs/fpga.md, Measured); two hours lets it finish with room to spare.
STEP_TIMEOUT_S = 7200
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="Seconds each tool step (synthesis, place and route, bitstream) may run before it is "
        "stopped (exit 1; the logs are kept).",
    ),
]
NextpnrOpts = Annotated[
    str,
    typer.Option(
        "--nextpnr-opts",
        help="More nextpnr options, after the flow's own, e.g. '--router router2' (nextpnr's default is "
        "router1; router2 routed the P = 32 ECP5 design in 17 min, docs/fpga.md); the recorded entry names them.",
    ),
]


@rtl_app.command()
def build(
    unit: UnitArg,
    engine: Engine = "quickselect",
    out: Annotated[Path, typer.Option("--out", "-o", help="Build directory (bitstream, logs, report).")] = Path(
        "out/rtl"
    ),
    parallelism: Parallelism = None,
    width: Width = None,
    index_width: IndexWidth = None,
    input_parallelism: InputParallelism = None,  # None: parallelism
    param: Param = None,
    board: BoardOpt = DEFAULT_BOARD,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    record: Annotated[
        Path | None, typer.Option(help="Also record the measured cost into this YAML cost table.")
    ] = None,
    asic: Annotated[
        bool, typer.Option(help="Instead: CMOS gate count and 40 nm area (yosys abc -g cmos; see `rtl calibrate`).")
    ] = False,
    calibration: Annotated[Path, typer.Option(help="40 nm calibration table for --asic.")] = CALIBRATION,
    hw: Hw = None,
    timeout: TimeoutOpt = STEP_TIMEOUT_S,
    nextpnr_opts: NextpnrOpts = "",
) -> None:
    """Build a bitstream of the engine behind its UART host interface for a board (Amaranth platform
    flow: yosys, nextpnr, icepack / ecppack; logs in the build directory).

    Exits with status 2 when the design does not fit the board's FPGA (the resource, its use and the
    capacity, from nextpnr's packer before placement), 1 when it misses the board's clock (fmax below
    it; the bitstream is still written), when a tool fails, or when a step runs past ``--timeout`` (its
    tool stopped, its logs kept). With ``--asic``: synthesize to CMOS gates and flip-flops and price
    them at 40 nm instead.
    """
    if unit != "topk":
        for name, given in (("--board", board != DEFAULT_BOARD), ("--nextpnr-opts", nextpnr_opts)):
            if given:
                raise InputError(
                    None,
                    name,
                    f"the {unit} unit builds alone for the iCE40 HX8K (its ports as pins, "
                    f"no host top level); {name} applies to topk",
                )
        options = stream_options(_defaults(TopKParams, "build"), locals())
        return build_unit(unit, options, out, json_out, record, asic, calibration)
    engine, params = _params(
        unit,
        engine,
        hw,
        "build",
        param,
        parallelism=parallelism,
        width=width,
        index_width=index_width,
        input_parallelism=input_parallelism,
    )
    if asic:
        _build_asic(engine, params, out, calibration, record, json_out)
        return
    report = _build_fpga(engine, params, board, out, timeout, _nextpnr_words(nextpnr_opts), quiet=json_out)
    if record is not None:
        from accelsim.rtl.topk.synth import record as record_cost

        record_cost(report, record)
    if json_out:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{engine} on {report['board']} ({report['device']}): {report['luts']} LUTs, {report['ffs']} FFs, "
            f"{report['brams']} BRAMs, {report['dsps']} DSPs; fmax {report['fmax_mhz']} MHz "
            f"(board clock {report['target_mhz']} MHz)"
        )
        print(f"bitstream: {report['bitstream']}; report: {out / 'report.json'}")
    if report["fmax_mhz"] < report["target_mhz"]:
        print(
            f"accelsim: error: misses timing on {report['board']}: fmax {report['fmax_mhz']} MHz below the "
            f"{report['target_mhz']} MHz board clock",
            file=sys.stderr,
        )
        raise typer.Exit(1)


def _nextpnr_words(text: str) -> tuple[str, ...]:
    """The options of ``--nextpnr-opts`` (shell words); :class:`InputError` for bad quoting or one the flow
    sets itself."""
    import shlex

    from accelsim.rtl.fpga import FLOW_NEXTPNR_OPTS

    try:
        words = tuple(shlex.split(text))
    except ValueError as err:
        raise InputError(None, "--nextpnr-opts", f"expected nextpnr options as shell words: {err}") from None
    for word in words:
        if word.startswith("--") and word in FLOW_NEXTPNR_OPTS:
            raise InputError(None, "--nextpnr-opts", f"the flow sets {word} itself; leave it out")
    return words


def _build_fpga(
    engine: str,
    params: TopKParams,
    board: str,
    out: Path,
    timeout: float,
    nextpnr_opts: tuple[str, ...] = (),
    *,
    quiet: bool = False,
) -> dict:
    """Build with a rich progress line per step, each bounded by ``timeout`` seconds, nextpnr given
    ``nextpnr_opts`` too; a missing tool or a design that does not fit is exit 2, a failing tool or a
    step past its limit exit 1."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from accelsim.rtl import fpga
    from accelsim.rtl.boards import BOARDS, get_board
    from accelsim.rtl.topk.host import check_host_params
    from accelsim.rtl.topk.synth import build as run_build

    if board not in BOARDS:
        raise InputError(None, "--board", f"unknown board {board!r}; expected one of: {', '.join(BOARDS)}")
    if not timeout > 0:
        raise InputError(None, "--timeout", f"must be a positive number of seconds, not {timeout:g}")
    try:
        check_host_params(params)
    except ValueError as err:
        raise InputError(None, None, f"bad top-k parameters: {err}") from None
    try:
        for tool in fpga.build_tools(get_board(board).load()):
            fpga.resolve_tool(tool)
    except fpga.ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    console = Console(stderr=True, quiet=quiet)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.fields[step]:<16}"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(step: str, line: str) -> None:
            if step not in tasks:
                for done in tasks.values():
                    bar.update(done, completed=1)
                tasks[step] = bar.add_task("", total=1, step=step)
                if not console.is_terminal:  # a log file gets one line per step instead of the live bar
                    console.print(f"{step}: started")
            text = line.strip()
            if text:
                bar.update(tasks[step], description=text[:70])

        try:
            return run_build(
                engine, params, out, board=board, progress=progress, timeout_s=timeout, nextpnr_opts=nextpnr_opts
            )
        except fpga.DoesNotFit as err:
            raise InputError(None, "--board", f"{engine} with {_brief(params)} {err}") from None
        except fpga.ToolFailed as err:
            print(f"accelsim: error: {err}", file=sys.stderr)
            raise typer.Exit(1) from None


def _brief(params: TopKParams) -> str:
    return f"P={params.parallelism}, n<={params.max_n}"


def _build_asic(
    engine: str, params: TopKParams, out: Path, calibration: Path, record: Path | None, json_out: bool
) -> None:
    """``build --asic``: gate count and 40 nm cost of ``engine``, printed and maybe recorded."""
    from accelsim.rtl.topk.harness import ToolMissing
    from accelsim.rtl.topk.synth import build_asic, record_asic

    if not calibration.exists():
        raise InputError(calibration, None, "file does not exist; run `accelsim rtl calibrate`")
    try:
        report = build_asic(engine, params, out, calibration)
    except ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    if record is not None:
        record_asic(report, record)
    if json_out:
        print(json.dumps(report, indent=2))
        return
    mems = ", ".join(f"{n} x {shape}" for shape, n in report["memories"].items()) or "none"
    print(
        f"{engine}: {report['transistors']} transistors, {report['ff_bits']} FF bits, memories "
        f"{mems} ({report['mem_bits']} bits, SRAM macros); logic 40 nm {report['area_um2'] / 1e6:.4f} mm², "
        f"leakage {report['leak_mw']:.3f} mW; yosys {report['wall_s']:.0f} s"
    )
    print(f"report: {out / 'asic_report.json'}")


@rtl_app.command()
def calibrate(
    table: Annotated[Path, typer.Option(help="Calibration table to write.")] = CALIBRATION,
    workdir: Annotated[Path, typer.Option(help="Build directory of the reference circuits.")] = Path(
        "out/rtl/calibration"
    ),
) -> None:
    """Synthesize the reference circuits on the ASIC flow and fit the 40 nm constants to the
    Aladdin component areas; write them to ``table``."""
    from accelsim.rtl.asic import write_calibration
    from accelsim.rtl.topk.harness import ToolMissing

    try:
        data = write_calibration(table, workdir)
    except ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    for name, ref in data["references"].items():
        print(
            f"{name}: Aladdin {ref['aladdin_area_um2']} um², fitted {ref['fitted_area_um2']} "
            f"um² ({ref['area_error']:+.1%}){'' if ref['used_in_fit'] else ' (check)'}"
        )
    print(f"{data['um2_per_logic_transistor']} um² per logic transistor; table: {table}")


@rtl_app.command()
def verify(
    unit: UnitArg,
    engine: Engine = "quickselect",
    parallelism: Parallelism = None,
    width: Width = None,
    index_width: IndexWidth = None,
    input_parallelism: InputParallelism = None,  # None: parallelism
    param: Param = None,
    vectors: Annotated[int, typer.Option(help="Random vectors (edge cases are added).")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the vectors and flow-control patterns.")] = 0,
    workdir: Annotated[Path, typer.Option(help="Build directory (cached per parameter set).")] = Path("sim_build/topk"),
    waves: Annotated[bool, typer.Option(help="Dump a VCD waveform.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    hw: Hw = None,
) -> None:
    """Run random + edge vectors on the RTL (cocotb + Icarus) against the numpy models.

    Exits with status 1 when any vector's items differ from the functional model.
    """
    import numpy as np

    from accelsim.rtl.topk import harness

    if unit != "topk":
        options = stream_options(_defaults(TopKParams, "verify"), locals())
        return verify_unit(unit, options, vectors, seed, workdir, waves, json_out)
    engine, params = _params(
        unit,
        engine,
        hw,
        "verify",
        param,
        parallelism=parallelism,
        width=width,
        index_width=index_width,
        input_parallelism=input_parallelism,
    )
    if vectors < 0:
        raise InputError(None, "--vectors", f"must be a non-negative integer, not {vectors}")
    rng = np.random.default_rng(seed)
    vec = harness.concat(harness.edge_vectors(params, rng), harness.random_vectors(params, vectors, rng))
    try:
        report = harness.verify(engine, params, vec, workdir.resolve(), seed=seed, waves=waves)
    except harness.ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    if json_out:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{engine}: {report.vectors} vectors, {report.mismatches} mismatches; cycles over "
            f"{report.timed_vectors} free-flow vectors: RTL {report.rtl_cycles_mean:.1f}, "
            f"model {report.model_cycles_mean:.1f}, relative error mean "
            f"{report.cycle_error_mean:.4f} max {report.cycle_error_max:.4f}"
        )
        if report.first_mismatch:
            print(f"first mismatch: {report.first_mismatch}")
    if report.mismatches:
        raise typer.Exit(1)


@rtl_app.command()
def run(
    unit: UnitArg,
    engine: Engine = "quickselect",
    port: Annotated[
        str | None,
        typer.Option(
            help="Serial port of a board running `rtl build`'s bitstream (pyserial); without it the same "
            "jobs run on a cocotb simulation of the whole top level."
        ),
    ] = None,
    baud: Annotated[int, typer.Option(help="UART rate of the board (accelsim.rtl.boards.BAUD).")] = 115_200,
    divisor: Annotated[int, typer.Option(help="Simulation only: clock cycles per UART bit.")] = 4,
    parallelism: Parallelism = None,
    width: Width = None,
    index_width: IndexWidth = None,
    input_parallelism: InputParallelism = None,  # None: parallelism
    param: Param = None,
    jobs: Annotated[int, typer.Option(help="Random jobs (edge cases are added).")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the jobs.")] = 0,
    workdir: Annotated[Path, typer.Option(help="Simulation build directory (cached per parameter set).")] = Path(
        "sim_build/topk"
    ),
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    hw: Hw = None,
) -> None:
    """Send top-k jobs through the UART host interface and check the answers against the numpy models.

    One client (accelsim.rtl.topk.protocol) drives a board (``--port``) or the cocotb simulation of
    the top level's serial pins. Exits with status 1 when any job's items differ from the functional
    model.
    """
    import numpy as np

    from accelsim.rtl.topk import harness
    from accelsim.rtl.topk.host import check_host_params
    from accelsim.rtl.topk.host_sim import verify_host
    from accelsim.rtl.uart import check_divisor

    engine, params = _params(
        unit,
        engine,
        hw,
        "verify",
        param,
        parallelism=parallelism,
        width=width,
        index_width=index_width,
        input_parallelism=input_parallelism,
    )
    try:
        check_host_params(params)
        check_divisor(divisor)
    except ValueError as err:
        raise InputError(None, None, str(err)) from None
    if jobs < 0:
        raise InputError(None, "--jobs", f"must be a non-negative integer, not {jobs}")
    rng = np.random.default_rng(seed)
    vec = harness.concat(harness.edge_vectors(params, rng), harness.random_vectors(params, jobs, rng))
    vec.mode[:] = 0  # the host interface never stalls the engine's streams
    try:
        if port is None:
            report = verify_host(engine, params, vec, workdir.resolve(), divisor=divisor, seed=seed)
        else:
            report = _run_board(engine, params, vec, port, baud, harness.job_z(params, vec))
    except harness.ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    where = port or f"simulation (divisor {divisor})"
    if json_out:
        print(json.dumps({**report.as_dict(), "target": where}, indent=2))
    else:
        print(
            f"{engine} via {where}: {report.vectors} jobs, {report.mismatches} mismatches; cycles RTL "
            f"{report.rtl_cycles_mean:.1f}, model {report.model_cycles_mean:.1f}, relative error max "
            f"{report.cycle_error_max:.4f}; {report.rtl_seconds:.1f} s"
        )
        if report.first_mismatch:
            print(f"first mismatch: {report.first_mismatch}")
    if report.mismatches:
        raise typer.Exit(1)


def _run_board(engine: str, params: TopKParams, vec, port: str, baud: int, z):
    """Run ``vec`` on the board at ``port``; the comparison report."""
    import time

    try:
        import serial
    except ImportError:
        raise InputError(
            None, "--port", "pyserial is not installed; install it with: pip install 'accelsim[fpga]'"
        ) from None

    from accelsim.rtl.topk.harness import compare
    from accelsim.rtl.topk.protocol import SerialTransport, TopKClient, run_jobs

    try:
        link = SerialTransport(port, baud)
    except serial.SerialException as err:
        raise InputError(None, "--port", f"cannot open {port!r}: {err}") from None
    start = time.perf_counter()
    try:
        items, cycles = run_jobs(TopKClient(link), vec.scores, vec.n, vec.k, z)
    finally:
        link.close()
    return compare(engine, params, vec, items, cycles, time.perf_counter() - start)


@rtl_app.command("record")
def record_sweeps(
    sweeps: Annotated[list[Path], typer.Argument(help="Sweep files whose design points to build.")],
    board: BoardOpt = "ulx3s-85f",
    table: Annotated[Path, typer.Option(help="FPGA cost table to record into.")] = Path(__file__).parents[1]
    / "hw"
    / "tables"
    / "fpga_topk.yaml",
    out: Annotated[Path, typer.Option("--out", "-o", help="Build directories, one per design.")] = Path(
        "out/rtl/sweeps"
    ),
    dry_run: Annotated[bool, typer.Option(help="Only list the designs.")] = False,
    timeout: TimeoutOpt = STEP_TIMEOUT_S,
    nextpnr_opts: NextpnrOpts = "",
) -> None:
    """Build every distinct top-k design of the sweeps' points on ``--board`` and record each measured
    cost in the table (``topk_fpga_*`` columns); a design that does not fit, fails or runs past
    ``--timeout`` in a step is reported and skipped, and the exit status is 1 if any was."""
    from accelsim.rtl.topk.synth import record as record_cost
    from accelsim.rtl.topk.synth import record_key, sweep_designs

    extra = _nextpnr_words(nextpnr_opts)
    designs = sweep_designs([str(p) for p in sweeps])
    failed = 0
    for i, (engine, params) in enumerate(designs):
        key = record_key(engine, params)
        print(f"[{i + 1}/{len(designs)}] {key}", flush=True)
        if dry_run:
            continue
        try:
            report = _build_fpga(engine, params, board, out / key, timeout, extra)
        except (InputError, typer.Exit) as err:
            failed += 1
            print(f"  skipped: {err}", flush=True)
            continue
        record_cost(report, table)
        print(
            f"  {report['luts']} LUTs, {report['ffs']} FFs, {report['brams']} BRAMs, {report['dsps']} DSPs, "
            f"fmax {report['fmax_mhz']} MHz; recorded in {table}",
            flush=True,
        )
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``rtl`` command group."""
    app.add_typer(rtl_app, name="rtl")
