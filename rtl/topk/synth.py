"""FPGA build of a top-k engine behind its UART host interface: a bitstream for a board through
Amaranth's platform flow (:mod:`accelsim.rtl.fpga`, boards in :mod:`accelsim.rtl.boards`); and its
ASIC gate count and 40 nm area (:func:`build_asic`, flow in :mod:`accelsim.rtl.asic`).

The report gathers LUTs, flip-flops, block RAMs and DSPs of the whole top level (engine, score
and item buffers, UART) and the fmax nextpnr reached against the board's clock.
"""

from __future__ import annotations

import datetime
import json
import shlex
from collections.abc import Callable
from pathlib import Path

from accelsim.hw.fpga import FPGA_COLUMNS
from accelsim.rtl.boards import DEFAULT_BOARD, UartBoardTop, get_board, uart_divisor
from accelsim.rtl.fpga import ICE40_FF_CELLS, build_bitstream
from accelsim.rtl.topk.harness import TOPLEVEL, ToolMissing, export_verilog
from accelsim.rtl.topk.host import TopKHost
from accelsim.topk.base import TopKParams, engine_params

# Columns per FPGA family: (source, cell types summed). "yosys": cells after synthesis
# (stat -json); "nextpnr": cells placed, from its packer's utilisation.
FAMILY_COLUMNS = {
    "ice40": {
        "luts": ("yosys", ("SB_LUT4",)),
        "ffs": ("yosys", ICE40_FF_CELLS),
        "brams": ("nextpnr", ("ICESTORM_RAM",)),
        "dsps": ("nextpnr", ("ICESTORM_DSP",)),
    },
    "ecp5": {
        "luts": ("nextpnr", ("TRELLIS_COMB",)),
        "ffs": ("nextpnr", ("TRELLIS_FF",)),
        "brams": ("nextpnr", ("DP16KD",)),
        "dsps": ("nextpnr", ("MULT18X18D",)),
    },
}


def _family(platform) -> str:
    return "ice40" if platform.device.lower().startswith("ice40") else "ecp5"


def build(
    engine: str,
    params: TopKParams,
    outdir: Path,
    *,
    board: str = DEFAULT_BOARD,
    progress: Callable[[str, str], None] = lambda step, line: None,
    timeout_s: float | None = None,
    nextpnr_opts: tuple[str, ...] = (),
) -> dict:
    """Build the bitstream of ``engine`` behind the UART for ``board`` in ``outdir``, each tool step
    bounded by ``timeout_s``, nextpnr given ``nextpnr_opts`` too; return (and write as ``report.json``)
    the report.

    Raises
    ------
    accelsim.rtl.fpga.ToolMissing, DoesNotFit, StepTimedOut, ToolFailed
        See :func:`accelsim.rtl.fpga.build_bitstream`.
    """
    plat = get_board(board).load()
    top = UartBoardTop(TopKHost(engine, params, divisor=uart_divisor(plat)))
    res = build_bitstream(
        plat, top, TOPLEVEL, outdir, progress=progress, timeout_s=timeout_s, nextpnr_opts=nextpnr_opts
    )
    report: dict = {
        "engine": engine,
        "params": params.as_dict(),
        "board": board,
        "device": f"{plat.device}-{plat.speed}{plat.package}"
        if _family(plat) == "ecp5"
        else f"{plat.device}-{plat.package}",
        "bitstream": str(res.bitstream),
    }
    for col, (src, cells) in FAMILY_COLUMNS[_family(plat)].items():
        counts = res.yosys_cells if src == "yosys" else {k: u for k, (u, _) in res.utilisation.cells.items()}
        report[col] = int(sum(counts.get(c, 0) for c in cells))
    report["fmax_mhz"] = min(res.fmax_mhz.values()) if res.fmax_mhz else None
    report["target_mhz"] = min(res.target_mhz.values()) if res.target_mhz else None
    report["utilisation"] = {k: {"used": u, "available": a} for k, (u, a) in res.utilisation.cells.items()}
    report["seconds"] = res.seconds
    report["tools"] = res.tools
    report["nextpnr_opts"] = list(nextpnr_opts)
    report["date"] = datetime.date.today().isoformat()
    (outdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def sweep_designs(sweeps: list[str]) -> list[tuple[str, TopKParams]]:
    """The distinct (engine, params) of the top-k hardware in the points of the sweep files
    ``sweeps`` that the UART top level can build, in order of first appearance (the designs whose
    ``topk_fpga_*`` columns a recorded table fills)."""
    from accelsim.hw.units import topk_params
    from accelsim.rtl.topk.common import ENGINE_COMPONENTS, check_params
    from accelsim.rtl.topk.host import check_host_params
    from accelsim.sweep.points import Resolver, expand, hardware
    from accelsim.sweep.spec import load_sweep

    found: dict[str, tuple[str, TopKParams]] = {}
    for path in sweeps:
        sweep = load_sweep(path)
        resolver = Resolver(sweep, path)
        for point in resolver.resolve_all(expand(sweep)):
            if not point.hw:
                continue
            hw = hardware(point.hw)
            if hw.topk.count == 0 or hw.topk.engine not in ENGINE_COMPONENTS:
                continue
            try:
                cls = ENGINE_COMPONENTS[hw.topk.engine]
                params = check_host_params(
                    check_params(topk_params(hw), lanes=cls.LANES, narrow_input=cls.NARROW_INPUT)
                )
            except ValueError:
                continue  # no RTL can be built at these parameters, so no cost is looked up either
            found.setdefault(record_key(hw.topk.engine, params), (hw.topk.engine, params))
    return list(found.values())


def record_key(engine: str, params: TopKParams) -> str:
    """Entry name in the FPGA cost table: the engine and every parameter as ``-name=value``."""
    fields = params.as_dict()
    return engine + "".join(f"-{name}={fields[name]}" for name in sorted(fields))


def record(report: dict, table: Path) -> dict:
    """Add (or replace) ``report``'s measured cost in the YAML cost ``table``; return the table.

    The table maps ``topk`` -> entry name (:func:`record_key`) -> LUTs, FFs, carries, BRAMs,
    generic cells, fmax and device, each entry citing the synthesis run as its source.
    """
    entry = {f: report[f] for f in FPGA_COLUMNS}
    entry["params"] = report["params"]
    cmd = f"accelsim rtl build --board {report['board']}"
    if report.get("nextpnr_opts"):
        cmd += f" --nextpnr-opts {shlex.quote(' '.join(report['nextpnr_opts']))}"
    entry["source"] = f"{cmd} ({report['date']}): whole UART top level; " + ", ".join(report.get("tools", []))
    return _put(table, record_key(report["engine"], engine_params(report["engine"], **report["params"])), entry)


def _put(table: Path, key: str, entry: dict) -> dict:
    """Set ``topk.<key>`` in the YAML ``table``, keeping its header comments; return the table."""
    import yaml

    text = table.read_text() if table.exists() else ""
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text) or {}
    data.setdefault("topk", {})[key] = entry
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(header + yaml.safe_dump(data, sort_keys=True))  # keep the header comments
    return data


def build_asic(engine: str, params: TopKParams, outdir: Path, calibration: Path) -> dict:
    """Write Verilog, run the ASIC gate-count flow (:mod:`accelsim.rtl.asic`) and price it at
    40 nm with the constants in the ``calibration`` table; return (and write) the JSON report."""
    from accelsim.rtl.asic import asic_report

    src = export_verilog(engine, params, outdir / f"{TOPLEVEL}.v")
    return asic_report(src, TOPLEVEL, outdir, calibration, engine=engine, params=params.as_dict())


ASIC_FIELDS = (
    "cells",
    "transistors",
    "logic_transistors",
    "ff_bits",
    "mem_bits",
    "memories",
    "area_um2",
    "leak_mw",
    "yosys",
    "date",
    "wall_s",
)


def record_asic(report: dict, table: Path) -> dict:
    """Add (or replace) an ASIC report's entry in the YAML ``table``, keyed like :func:`record`."""
    entry = {f: report[f] for f in ASIC_FIELDS}
    entry["params"] = report["params"]
    entry["source"] = (
        f"accelsim rtl build --asic: {report['yosys']}, accelsim.rtl.asic flow, "
        f"40 nm from {Path(report['calibration']).name}"
    )
    return _put(table, record_key(report["engine"], engine_params(report["engine"], **report["params"])), entry)


__all__ = ["ToolMissing", "build", "build_asic", "record", "record_asic", "record_key"]
