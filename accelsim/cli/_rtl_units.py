"""``accelsim rtl build|verify <unit>``: the streaming units behind the ``rtl`` commands, topk aside.

The units are those with a bench case (``accelsim.rtl.units.cases.CASES``): the built-in softmax and
requant, and every registered unit that names its RTL module (``accelsim.units.Unit.rtl``). For the
built-in ones ``--parallelism``, ``--width`` and ``--index-width`` set the fields of the same name
(``accelsim.hw.softmax.SoftmaxParams``, ``accelsim.hw.requant.RequantParams``; the other fields keep
their defaults). A plug-in unit's params are its ``hw.<unit>`` block: from ``--hw`` (that config's
block), with ``--param NAME=VALUE`` over it, for the fields its RTL reads. An option the unit does not
read, set away from its default, is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer

from accelsim.errors import InputError

SHARED = {"parallelism": "--parallelism", "width": "--width", "index_width": "--index-width"}


def rtl_units() -> list[str]:
    """The units ``accelsim rtl`` builds and verifies: topk and every unit with a bench case."""
    from accelsim.rtl.units.cases import CASES

    return sorted({"topk", *CASES})


def check_unit(unit: str) -> None:
    """:class:`InputError` naming the units with RTL, unless ``unit`` is one."""
    from accelsim.rtl.units.cases import CASES

    if unit != "topk" and unit not in CASES:
        raise InputError(None, "UNIT", f"no RTL for unit {unit!r}; expected one of: {', '.join(rtl_units())}")


def _validated(unit: str, params_type: type, fields: dict):
    """``params_type(**fields)``; :class:`InputError` with every reason."""
    from pydantic import ValidationError

    try:
        return params_type(**fields)
    except ValidationError as err:
        reasons = "; ".join(
            (f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
            for e in err.errors()
        )
        raise InputError(None, None, f"bad {unit} parameters: {reasons}") from None


def _block(unit: str, hw: str, hardware) -> dict:
    """The ``hw.<unit>`` block of ``hardware``, loaded from the preset or file ``hw``."""
    block = (hardware.model_extra or {}).get(unit)
    if block is None:
        raise InputError(hw, unit, f"no {unit} block in this hardware config (`{unit}: {{}}` for its defaults)")
    return block.model_dump()


def param_values(given: list[str] | tuple[str, ...] | None, refuse: Callable[[str], str | None]) -> dict[str, object]:
    """``--param NAME=VALUE`` options as {name: the value read as YAML}; ``refuse(name)`` says why a name is
    not taken (None: taken). :class:`InputError` for a malformed or refused one."""
    import yaml

    from accelsim.inputs import BoundedLoader

    out: dict[str, object] = {}
    for item in given or ():
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise InputError(None, "--param", f"expected NAME=VALUE, got {item!r}")
        why = refuse(name)
        if why is not None:
            raise InputError(None, f"--param {name}", why)
        try:
            out[name] = yaml.load(raw, Loader=BoundedLoader)
        except yaml.YAMLError:
            raise InputError(None, f"--param {name}", f"value is not valid YAML: {raw!r}") from None
    return out


def _own(unit: str, case_type: type, given: tuple[str, ...]) -> dict[str, object]:
    """The ``--param NAME=VALUE`` options of a plug-in unit, by name; :class:`InputError` for a malformed
    one or a field its RTL does not read."""
    fields = list(case_type.params_type.model_fields)
    reads = list(case_type.reads or fields)

    def refuse(name: str) -> str | None:
        if name in reads:
            return None
        why = "not read by its RTL" if name in fields else "not a field of its hw block"
        return f"{why} (the {unit} unit's RTL reads: {', '.join(reads)})"

    return param_values(given, refuse)


def unit_case(unit: str, options: dict[str, tuple[object, object]]):
    """The bench case of ``unit`` from ``options`` (option field -> (value, default)); bad input raises
    :class:`InputError`."""
    from accelsim.config import load_hardware
    from accelsim.rtl.units.cases import CASES
    from accelsim.units import UNITS

    hw = options["hw"][0]
    hardware = None if hw is None else load_hardware(hw)  # first: its plugins: may register the unit
    check_unit(unit)
    cls = CASES[unit]
    if unit in UNITS:
        for name, (value, default) in options.items():
            if name not in ("param", "hw") and value != default:
                flag = SHARED.get(name, "--" + name.replace("_", "-"))
                raise InputError(
                    None, flag, f"not a parameter of the {unit} unit: set its fields with --param NAME=VALUE"
                )
        block = {} if hardware is None else _block(unit, hw, hardware)
        params = _validated(unit, cls.params_type, block | _own(unit, cls, options["param"][0]))
    else:
        fields = cls.params_type.model_fields
        for name, (value, default) in options.items():
            if name not in fields and value != default:
                flag = SHARED.get(name, "--" + name.replace("_", "-"))
                raise InputError(None, flag, f"not a parameter of the {unit} unit: leave it at its default")
        params = _validated(unit, cls.params_type, {k: v for k, (v, _) in options.items() if k in fields})
    case = cls(params)
    try:
        case.component()
    except ValueError as err:
        raise InputError(None, None, f"bad {unit} parameters: {err}") from None
    return case


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
