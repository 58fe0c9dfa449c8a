"""ASIC-style gate count of a Verilog design with yosys, and its 40 nm area from a calibration.

Flow (:func:`synthesize`): ``synth -flatten`` up to ``memory -nomap``, where the RTL's memories
(with the read registers ``memory_dff`` merged into them) are recorded by shape; they stay as
cells, as a chip holds them in SRAM macros (the cost model prices them with CACTI). The rest of
``synth``'s fine pass without ``memory_map`` and abc, every flip-flop legalized to a plain
``$_DFF_P_`` (clock enables and resets become logic), ``abc -g cmos`` and ``stat -tech cmos``,
which counts transistors per gate (the memories' cells are not counted).

Calibration (:func:`calibrate`): reference circuits synthesized on the same flow are priced at the
Aladdin (Shao et al., ISCA 2014) 40 nm component areas and leakage; one number, um² per logic
transistor, is fitted to them (geometric mean of their ratios), and a flip-flop bit costs
Aladdin's 1-bit register.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from accelsim.rtl.topk.harness import require_tool

GATES = "cmos"  # abc -g cmos: NAND NOR AOI3 OAI3 AOI4 OAI4 NMUX MUX XOR XNOR (+ NOT)
FF_CELL = "$_DFF_P_"
FF_TRANSISTORS = 16  # what yosys 0.23 `stat -tech cmos` counts for one $_DFF_P_
ALADDIN = "Aladdin (Shao et al., ISCA 2014) 40 nm tables, as shipped in hwcomponents-library"
REGISTER_UM2 = 5.98  # Aladdin 1-bit register, 40 nm (its leakage is listed as 0)
REFERENCES = {  # name: (Verilog, Aladdin 40 nm area um², Aladdin leakage W)
    "adder32": ("module adder32(input [31:0] a, input [31:0] b, output [31:0] y);\n"
                "  assign y = a + b;\nendmodule\n", 278.0, 2.40e-6),
    "comparator32": ("module comparator32(input [31:0] a, input [31:0] b, output y);\n"
                     "  assign y = a < b;\nendmodule\n", 71.0, 2.51e-8),
    "multiplier32": ("module multiplier32(input [31:0] a, input [31:0] b, output [63:0] y);\n"
                     "  assign y = a * b;\nendmodule\n", 6350.0, 8.00e-5),
}
CHECKS = {  # circuits with flip-flops, priced by the fit but not used in it
    "counter32": ("module counter32(input clk, input rst, output reg [31:0] q);\n"
                  "  always @(posedge clk) q <= rst ? 32'd0 : q + 32'd1;\nendmodule\n",
                  495.5, 3.21e-7),
}


@dataclass(frozen=True)
class GateCount:
    """Cells of one design after the flow."""

    cells: dict[str, int]
    transistors: int
    """yosys ``stat -tech cmos`` estimate, flip-flops included."""
    ff_bits: int
    """Flip-flops outside the memories."""
    memories: dict[str, int]
    """The RTL's memories: count per shape ``"<lines>x<width>"``."""
    yosys: str
    seconds: float

    @property
    def mem_bits(self) -> int:
        return mem_bits(self.memories)

    @property
    def logic_transistors(self) -> int:
        """Transistors of the combinational gates."""
        return self.transistors - FF_TRANSISTORS * self.ff_bits


def yosys_version() -> str:
    """``yosys -V``; :class:`~accelsim.rtl.topk.harness.ToolMissing` without yosys."""
    yosys = require_tool("yosys", "yosys")
    return subprocess.run([yosys, "-V"], capture_output=True, text=True, check=True).stdout.strip()


def _memories(dump: str) -> dict[str, int]:
    """Count per ``"<lines>x<width>"`` shape of the ``$mem``/``$mem_v2`` cells in a yosys ``dump``."""
    shapes: dict[str, int] = {}
    for cell in re.split(r"\n\s*cell ", dump)[1:]:
        width = re.search(r"parameter \\WIDTH (\d+)", cell)
        size = re.search(r"parameter \\SIZE (\d+)", cell)
        if width and size:
            shape = f"{size.group(1)}x{width.group(1)}"
            shapes[shape] = shapes.get(shape, 0) + 1
    return shapes


def mem_bits(memories: dict[str, int]) -> int:
    """Storage bits of ``memories`` (count per ``"<lines>x<width>"``)."""
    return sum(n * math.prod(int(x) for x in shape.split("x")) for shape, n in memories.items())


def synthesize(verilog: Path, top: str, outdir: Path) -> GateCount:
    """Run the flow on ``verilog`` (top module ``top``) in ``outdir``; RuntimeError on failure."""
    yosys = require_tool("yosys", "yosys")
    outdir.mkdir(parents=True, exist_ok=True)
    script = (f"read_verilog {verilog.resolve()}; synth -flatten -top {top} -run :fine; "
              "tee -q -o mem.txt dump t:$mem t:$mem_v2; "
              "opt -fast -full; opt -full; techmap; opt -fast; "  # synth's fine pass, memories kept
              f"dfflegalize -cell {FF_CELL} 01; abc -g {GATES}; opt_clean; "
              "tee -q -o stat.json stat -tech cmos -json")
    start = time.perf_counter()
    proc = subprocess.run([yosys, "-q", "-p", script], cwd=outdir, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - start
    (outdir / "yosys_asic.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise RuntimeError(f"yosys ASIC flow failed: {tail}")
    stat = json.loads((outdir / "stat.json").read_text())["design"]
    cells = {k: int(v) for k, v in stat["num_cells_by_type"].items()}
    ffs = [c for c in cells if "DFF" in c or "DLATCH" in c or c.startswith("$_SR")]
    cells = {k: v for k, v in cells.items() if not k.startswith("$mem")}
    if ffs != [FF_CELL] and ffs:
        raise RuntimeError(f"unexpected storage cells after dfflegalize: {ffs}")
    return GateCount(cells=cells, transistors=int(str(stat["estimated_num_transistors"]).rstrip("+")),
                     ff_bits=cells.get(FF_CELL, 0), memories=_memories((outdir / "mem.txt").read_text()),
                     yosys=yosys_version(), seconds=round(seconds, 2))


def area_um2(logic_transistors: int, ff_bits: int, calib: dict) -> float:
    """40 nm area: logic transistors at the fitted um² each, flip-flop bits at the register's."""
    return (logic_transistors * calib["um2_per_logic_transistor"]
            + ff_bits * calib["ff_um2_per_bit"])


def leak_mw(logic_transistors: int, ff_bits: int, calib: dict) -> float:
    """40 nm leakage: logic area at the references' leakage density, flip-flops at Aladdin's."""
    logic_mm2 = logic_transistors * calib["um2_per_logic_transistor"] * 1e-6
    return logic_mm2 * calib["logic_leak_mw_per_mm2"] + ff_bits * calib["ff_leak_mw_per_bit"]


def asic_report(verilog: Path, top: str, outdir: Path, calibration: Path, **head: object) -> dict:
    """Synthesize ``verilog`` (:func:`synthesize`), price it at 40 nm with the ``calibration`` table's
    constants and write ``outdir/asic_report.json``: ``head`` (what was built), then the counts and prices."""
    import datetime

    import yaml

    calib = yaml.safe_load(calibration.read_text())
    count = synthesize(verilog, top, outdir)
    report = {
        **head,
        "verilog": str(verilog),
        "cells": count.cells,
        "transistors": count.transistors,
        "logic_transistors": count.logic_transistors,
        "ff_bits": count.ff_bits,
        "mem_bits": count.mem_bits,
        "memories": count.memories,
        "area_um2": round(area_um2(count.logic_transistors, count.ff_bits, calib), 1),
        "leak_mw": round(leak_mw(count.logic_transistors, count.ff_bits, calib), 4),
        "yosys": count.yosys,
        "date": datetime.date.today().isoformat(),
        "wall_s": count.seconds,
        "calibration": str(calibration),
    }
    (outdir / "asic_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def calibrate(workdir: Path) -> dict:
    """Synthesize the reference circuits and fit the 40 nm constants; return the table's data."""
    refs = {}
    for name, (src, area, leak_w) in (REFERENCES | CHECKS).items():
        path = workdir / name / f"{name}.v"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(src)
        count = synthesize(path, name, path.parent)
        refs[name] = {"aladdin_area_um2": area, "aladdin_leak_mw": leak_w * 1e3,
                      "logic_transistors": count.logic_transistors, "ff_bits": count.ff_bits,
                      "cells": count.cells, "used_in_fit": name in REFERENCES, "verilog": src}
    fit = [r for r in refs.values() if r["used_in_fit"]]
    per_tr = math.exp(sum(math.log(r["aladdin_area_um2"] / r["logic_transistors"]) for r in fit)
                      / len(fit))
    leak_density = (sum(r["aladdin_leak_mw"] for r in fit)
                    / sum(r["aladdin_area_um2"] * 1e-6 for r in fit))
    calib = {"um2_per_logic_transistor": round(per_tr, 5), "ff_um2_per_bit": REGISTER_UM2,
             "logic_leak_mw_per_mm2": round(leak_density, 4), "ff_leak_mw_per_bit": 0.0}
    for r in refs.values():
        r["fitted_area_um2"] = round(area_um2(r["logic_transistors"], r["ff_bits"], calib), 2)
        r["area_error"] = round(r["fitted_area_um2"] / r["aladdin_area_um2"] - 1, 4)
    return {**calib, "yosys": yosys_version(), "gates": f"abc -g {GATES}",
            "source": f"{ALADDIN}; fit: geometric mean of area / logic transistors over the "
                      "references with used_in_fit; leakage: their total leakage / total area",
            "references": refs}


def write_calibration(table: Path, workdir: Path) -> dict:
    """Run :func:`calibrate` in ``workdir`` and write its result to the YAML ``table``."""
    import datetime

    import yaml

    data = calibrate(workdir) | {"date": datetime.date.today().isoformat()}
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text("# 40 nm calibration of the yosys ASIC flow (accelsim.rtl.asic), written by\n"
                     "# `accelsim rtl calibrate`; do not edit by hand.\n"
                     + yaml.safe_dump(data, sort_keys=False))
    return data


__all__ = ["GateCount", "area_um2", "calibrate", "leak_mw", "synthesize", "write_calibration",
           "yosys_version"]
