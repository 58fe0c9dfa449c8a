"""``accelsim rtl build|verify softmax|requant``: the streaming units behind the ``rtl`` commands.

The commands' ``--parallelism``, ``--width`` and ``--index-width`` set the unit's fields of the same name
(``accelsim.hw.softmax.SoftmaxParams``, ``accelsim.hw.requant.RequantParams``; the other fields keep their
defaults); an option the unit does not read, set away from its default, is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from accelsim.errors import InputError

STREAM_UNITS = ("softmax", "requant")
SHARED = {"parallelism": "--parallelism", "width": "--width", "index_width": "--index-width"}


def unit_case(unit: str, options: dict[str, tuple[object, object]]):
    """The bench case of ``unit`` from ``options`` (option field -> (value, default)); bad input raises
    :class:`InputError`."""
    from pydantic import ValidationError

    from accelsim.rtl.units.cases import CASES

    cls = CASES[unit]
    fields = cls.params_type.model_fields
    for name, (value, default) in options.items():
        if name not in fields and value != default:
            flag = SHARED.get(name, "--" + name.replace("_", "-"))
            raise InputError(None, flag, f"not a parameter of the {unit} unit: leave it at its default")
    try:
        params = cls.params_type(**{k: v for k, (v, _) in options.items() if k in fields})
    except ValidationError as err:
        reasons = "; ".join(
            (f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
            for e in err.errors()
        )
        raise InputError(None, None, f"bad {unit} parameters: {reasons}") from None
    return cls(params)


def build_unit(
    unit: str,
    options: dict,
    out: Path,
    json_out: bool,
    record: Path | None,
    asic: bool,
    calibration: Path,
) -> None:
    """``rtl build`` of a streaming unit: the FPGA flow, or with ``asic`` the 40 nm gate count."""
    from accelsim.rtl.topk.harness import ToolMissing
    from accelsim.rtl.units import synth

    case = unit_case(unit, options)
    if asic and not calibration.exists():
        raise InputError(calibration, None, "file does not exist; run `accelsim rtl calibrate`")
    try:
        report = synth.build_asic(case, out, calibration) if asic else synth.build(case, out)
    except ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    if record is not None:
        (synth.record_asic if asic else synth.record)(report, record)
    if json_out:
        print(json.dumps(report, indent=2))
    elif asic:
        mems = ", ".join(f"{n} x {shape}" for shape, n in report["memories"].items()) or "none"
        print(
            f"{unit}: {report['transistors']} transistors, {report['ff_bits']} FF bits, memories {mems} "
            f"({report['mem_bits']} bits, SRAM macros); logic 40 nm {report['area_um2'] / 1e6:.4f} mm², leakage "
            f"{report['leak_mw']:.3f} mW; yosys {report['wall_s']:.0f} s"
        )
    else:
        fmax = f"{report['fmax_mhz']} MHz" if report["fmax_mhz"] else f"n/a ({report['pnr_error']})"
        print(
            f"{unit}: {report['luts']} LUTs, {report['ffs']} FFs, {report['carries']} carries, "
            f"{report['brams']} BRAMs; generic cells {report['generic_cells']}; fmax {fmax}"
        )


def verify_unit(unit: str, options: dict, vectors: int, seed: int, workdir: Path, waves: bool, json_out: bool) -> None:
    """``rtl verify`` of a streaming unit: edge + ``vectors`` random rows against the numpy models; exit
    status 1 on any mismatch of data or of a free-flowing job's cycles."""
    from accelsim.rtl.topk.harness import ToolMissing
    from accelsim.rtl.units import harness

    case = unit_case(unit, options)
    if vectors < 0:
        raise InputError(None, "--vectors", f"must be a non-negative integer, not {vectors}")
    try:
        report = harness.verify(case, harness.vectors(case, vectors, seed), workdir.resolve(), seed=seed, waves=waves)
    except ToolMissing as err:
        raise InputError(None, None, str(err)) from None
    if json_out:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{unit}: {report.vectors} vectors, {report.mismatches} mismatches; {report.timed_jobs} of "
            f"{report.jobs} jobs free-flowing, {report.cycle_mismatches} cycle mismatches (RTL mean "
            f"{report.rtl_cycles_mean:.2f}, model {report.model_cycles_mean:.2f}); RTL {report.rtl_seconds:.0f} s"
        )
        if report.first_mismatch:
            print(f"first mismatch: {report.first_mismatch}")
    if report.mismatches or report.cycle_mismatches:
        raise typer.Exit(1)


def stream_options(defaults: dict, given: dict) -> dict[str, tuple[object, object]]:
    """(value, default) of each top-k option of an ``rtl`` command (``given``: its arguments; None: the
    default), against the command's top-k defaults ``defaults`` (field -> value); ``--param``,
    ``--engine`` and ``--hw`` included."""
    fields = ("parallelism", "width", "index_width", "input_parallelism")
    out = {name: (defaults.get(name) if given[name] is None else given[name], defaults.get(name)) for name in fields}
    return out | {
        "param": (tuple(given["param"] or ()), ()),
        "engine": (given["engine"], "quickselect"),
        "hw": (given["hw"], None),
    }
