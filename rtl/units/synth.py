"""FPGA build and ASIC gate count of a streaming unit (softmax, requant, a plug-in unit's), as
:mod:`accelsim.rtl.topk.synth` does for the top-k engines, and their cost-table entries.

The FPGA flow is Debian yosys ``synth -flatten`` (generic cells) and ``synth_ice40`` with
nextpnr-ice40 on the iCE40HX8K-CT256; the ASIC flow :func:`accelsim.rtl.asic.synthesize`, priced at
40 nm with the calibration table. Entries are keyed by the unit and every parameter (``-name=value``)
under the unit's name in the table.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from accelsim.rtl.fpga import ICE40_FF_CELLS
from accelsim.rtl.topk.harness import require_tool
from accelsim.rtl.topk.synth import ASIC_FIELDS
from accelsim.rtl.units.cases import Case
from accelsim.rtl.units.harness import TOPLEVEL, export_verilog

DEVICE = ("--hx8k", "--package", "ct256")  # iCE40HX8K-CT256: 206 user I/Os (Lattice DS1040)
DEFAULT_FREQ_MHZ = 12.0  # nextpnr-ice40's own default target; fmax is reported regardless
FPGA_FIELDS = ("luts", "ffs", "carries", "brams", "generic_cells", "fmax_mhz", "device")
"""What ``record`` keeps of a unit's iCE40 report (the unit alone, no host top level: its ports are pins)."""


def _yosys(yosys: str, script: str, outdir: Path, log: str) -> None:
    proc = subprocess.run([yosys, "-q", "-p", script], cwd=outdir, capture_output=True, text=True, check=False)
    (outdir / log).write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise RuntimeError(f"yosys failed ({log}): {tail}")


def _stat(path: Path) -> dict:
    stat = json.loads(path.read_text())
    return stat["design"] if "design" in stat else stat["modules"][f"\\{TOPLEVEL}"]


def build(case: Case, outdir: Path, *, freq_mhz: float = DEFAULT_FREQ_MHZ, pnr: bool = True) -> dict:
    """Write Verilog, synthesize (generic and iCE40), place and route; return (and write) the report.

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
    src = export_verilog(case, outdir / f"{TOPLEVEL}.v")
    report: dict = {
        "unit": case.name,
        "params": case.params.model_dump(),
        "verilog": str(src),
        "device": "iCE40HX8K-CT256",
    }
    _yosys(
        yosys,
        f"read_verilog {src.name}; synth -flatten -top {TOPLEVEL}; tee -q -o generic_stat.json stat -json",
        outdir,
        "yosys_generic.log",
    )
    report["generic_cells"] = int(_stat(outdir / "generic_stat.json")["num_cells"])
    _yosys(
        yosys,
        f"read_verilog {src.name}; synth_ice40 -top {TOPLEVEL} -json {TOPLEVEL}_ice40.json; "
        "tee -q -o ice40_stat.json stat -json",
        outdir,
        "yosys_ice40.log",
    )
    cells = _stat(outdir / "ice40_stat.json")["num_cells_by_type"]
    report.update(
        luts=int(cells.get("SB_LUT4", 0)),
        ffs=int(sum(cells.get(c, 0) for c in ICE40_FF_CELLS)),
        carries=int(cells.get("SB_CARRY", 0)),
        brams=int(cells.get("SB_RAM40_4K", 0)),
        fmax_mhz=None,
        pnr_error=None if pnr else "not run (--no-pnr)",
    )
    if nextpnr is not None:
        log = outdir / "nextpnr.log"
        proc = subprocess.run(
            [
                nextpnr,
                *DEVICE,
                "--json",
                str(outdir / f"{TOPLEVEL}_ice40.json"),
                "--report",
                str(outdir / "nextpnr_report.json"),
                "--freq",
                str(freq_mhz),
                "--timing-allow-fail",
                "--pcf-allow-unconstrained",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        log.write_text(proc.stdout + proc.stderr)
        if proc.returncode:
            report["pnr_error"] = " | ".join(log.read_text().strip().splitlines()[-3:])
        else:
            fmax = json.loads((outdir / "nextpnr_report.json").read_text()).get("fmax", {})
            achieved = [v["achieved"] for v in fmax.values()]
            report["fmax_mhz"] = round(min(achieved), 2) if achieved else None
    (outdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def build_asic(case: Case, outdir: Path, calibration: Path) -> dict:
    """Write Verilog, run the ASIC gate-count flow and price it at 40 nm; return (and write) the report."""
    from accelsim.rtl.asic import asic_report

    src = export_verilog(case, outdir / f"{TOPLEVEL}.v")
    return asic_report(src, TOPLEVEL, outdir, calibration, unit=case.name, params=case.params.model_dump())


def record_key(unit: str, params: dict) -> str:
    """Entry name in a cost table: the unit and every parameter as ``-name=value``."""
    return unit + "".join(f"-{name}={params[name]}" for name in sorted(params))


def _put(table: Path, unit: str, key: str, entry: dict) -> dict:
    """Set ``<unit>.<key>`` in the YAML ``table``, keeping its header comments; return the table."""
    import yaml

    text = table.read_text() if table.exists() else ""
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text) or {}
    data.setdefault(unit, {})[key] = entry
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(header + yaml.safe_dump(data, sort_keys=True))
    return data


def record(report: dict, table: Path) -> dict:
    """Add (or replace) an FPGA report's measured cost in the YAML ``table``."""
    entry = {f: report[f] for f in FPGA_FIELDS} | {
        "params": report["params"],
        "source": "accelsim rtl build: Debian yosys synth_ice40 + nextpnr-ice40",
    }
    return _put(table, report["unit"], record_key(report["unit"], report["params"]), entry)


def record_asic(report: dict, table: Path) -> dict:
    """Add (or replace) an ASIC report's entry in the YAML ``table``."""
    entry = {f: report[f] for f in ASIC_FIELDS} | {
        "params": report["params"],
        "source": f"accelsim rtl build --asic: {report['yosys']}, accelsim.rtl.asic flow, 40 nm from "
        f"{Path(report['calibration']).name}",
    }
    return _put(table, report["unit"], record_key(report["unit"], report["params"]), entry)
