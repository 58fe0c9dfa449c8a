"""The bitstream flow: tools resolved, nextpnr's utilisation read, a design over capacity stopped
before placement (with stand-in tools, so this runs in a second)."""

import json
import stat
import time
from pathlib import Path

import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelsim.rtl import fpga
from accelsim.rtl.boards import BOARDS, UartBoardTop, get_board, uart_divisor

ICE40_UTIL = """Info: Device utilisation:
Info: \t         ICESTORM_LC:  9321/ 7680   121%
Info: \t        ICESTORM_RAM:    24/   32    75%
Info: \t               SB_IO:     3/  206     1%
Info: Placed 3 cells based on constraints.
"""


class Loopback(wiring.Component):
    rx: In(1, init=1)
    tx: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.tx.eq(self.rx)
        return m


def test_utilisation_block_parsed():
    util = fpga.parse_utilisation(ICE40_UTIL.splitlines())
    assert util.cells == {"ICESTORM_LC": (9321, 7680), "ICESTORM_RAM": (24, 32), "SB_IO": (3, 206)}
    assert util.over() == {"ICESTORM_LC": (9321, 7680)}


def test_missing_tool_says_how_to_install(monkeypatch):
    monkeypatch.delenv("NEXTPNR_ECP5", raising=False)
    monkeypatch.setattr(fpga.shutil, "which", lambda _: None)
    with pytest.raises(
        fpga.ToolMissing,
        match=r"^nextpnr-ecp5 not found; install the FPGA tools with: pip "
        r"install 'accelsim\[fpga\]' \(YoWASP builds\), or point "
        r"\$NEXTPNR_ECP5 at a binary$",
    ):
        fpga.resolve_tool("nextpnr-ecp5")


def test_amaranth_variable_wins(monkeypatch, tmp_path):
    tool = fake_tool(tmp_path, "my-yosys", "exit 0")
    monkeypatch.setenv("YOSYS", str(tool))
    assert fpga.resolve_tool("yosys") == str(tool)


def fake_tool(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_over_capacity_stops_nextpnr_before_placement(monkeypatch, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    monkeypatch.setenv("YOSYS", str(fake_tool(tools, "yosys", "echo synthesized")))
    # after its utilisation report a real nextpnr would place for minutes: this one says when it gets there
    body = (
        'while [ $# -gt 0 ]; do [ "$1" = --log ] && LOG=$2; shift; done\n'
        + "".join(f"echo '{line}' >> $LOG\n" for line in ICE40_UTIL.splitlines())
        + "sleep 20\necho PLACED >> $LOG"
    )
    monkeypatch.setenv("NEXTPNR_ICE40", str(fake_tool(tools, "nextpnr", body)))
    monkeypatch.setenv("ICEPACK", str(fake_tool(tools, "icepack", "echo packed")))
    lines = []
    plat = get_board("ice40-hx8k-evn").load()
    with pytest.raises(
        fpga.DoesNotFit,
        match=r"^does not fit the iCE40HX8K-CT256: ICESTORM_LC 9321 of 7680 "
        r"\(nextpnr packer; log .*top\.tim\)$",
    ) as err:
        fpga.build_bitstream(
            plat, UartBoardTop(Loopback()), "top", tmp_path / "build", progress=lambda step, line: lines.append(step)
        )
    assert err.value.over == {"ICESTORM_LC": (9321, 7680)}
    log = (tmp_path / "build" / "top.tim").read_text()
    assert "ICESTORM_LC:  9321/ 7680" in log and "PLACED" not in log  # stopped, not waited for
    assert (tmp_path / "build" / "yosys.log").read_text() == "synthesized\n"  # every log kept
    assert lines[0] == "synthesis" and lines[-1] == "place and route"
    assert "--report" in (tmp_path / "build" / "build_top.json").read_text()


def test_failing_tool_reports_its_log(monkeypatch, tmp_path):
    monkeypatch.setenv("YOSYS", str(fake_tool(tmp_path, "yosys", "echo 'ERROR: no top'; exit 3")))
    monkeypatch.setenv("NEXTPNR_ICE40", str(fake_tool(tmp_path, "nextpnr", "exit 0")))
    monkeypatch.setenv("ICEPACK", str(fake_tool(tmp_path, "icepack", "exit 0")))
    with pytest.raises(fpga.ToolFailed, match=r"^yosys failed \(exit 3\): ERROR: no top$"):
        fpga.build_bitstream(get_board("ice40-hx8k-evn").load(), UartBoardTop(Loopback()), "top", tmp_path / "b")


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_build_tools_are_the_flow_s_not_the_programmer(name):
    plat = get_board(name).load()
    tools = fpga.build_tools(plat)
    assert tools[0] == "yosys" and tools[1].startswith("nextpnr-") and tools[2] in ("icepack", "ecppack")
    assert len(tools) == 3 and set(tools) <= set(plat.required_tools)


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_every_board_has_a_uart_and_a_divisor(name):
    plat = get_board(name).load()
    assert plat.lookup("uart", 0) is not None
    assert uart_divisor(plat) == round(plat.default_clk_frequency / 115_200) >= 2


def test_unknown_board_lists_the_known():
    with pytest.raises(KeyError, match="unknown board 'de0'; expected one of: " + ", ".join(BOARDS)):
        get_board("de0")


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, killed and awaiting its reaper, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in "ZX"


def use_stand_in_flow(monkeypatch, tmp_path, nextpnr_body):
    """Stand-ins (in ``tmp_path/tools``) for the iCE40 flow whose nextpnr runs ``nextpnr_body`` after writing its
    log and report."""
    tools = tmp_path / "tools"
    tools.mkdir()
    env = {
        "YOSYS": fake_tool(tools, "yosys", 'echo synthesized; echo \'{"modules": {"top": {}}}\' > stat.json'),
        "NEXTPNR_ICE40": fake_tool(
            tools,
            "nextpnr",
            "while [ $# -gt 0 ]; do case $1 in --log) LOG=$2;; --report) REP=$2;; esac; shift; done\n"
            "echo 'Info: routing' >> $LOG\n"
            'echo \'{"fmax": {"clk": {"achieved": 40.0, "constraint": 12.0}}}\' > $REP\n' + nextpnr_body,
        ),
        "ICEPACK": fake_tool(tools, "icepack", "echo packed"),
    }
    for name, path in env.items():
        monkeypatch.setenv(name, str(path))


def test_step_past_its_limit_is_stopped_with_its_logs(monkeypatch, tmp_path):
    # a router that never converges, with a child of its own: both must be stopped
    body = f"sleep 600 & echo $! > {tmp_path}/child.pid\nwait"
    use_stand_in_flow(monkeypatch, tmp_path, body)
    build = tmp_path / "build"
    with pytest.raises(
        fpga.StepTimedOut, match=r"^place and route \(nextpnr\) stopped at its 2 s limit \(--timeout\); log .*top\.tim$"
    ) as err:
        fpga.build_bitstream(get_board("ice40-hx8k-evn").load(), UartBoardTop(Loopback()), "top", build, timeout_s=2)
    assert err.value.step == "place and route" and err.value.log == build / "top.tim"
    assert (build / "top.tim").read_text() == "Info: routing\n"  # every log kept
    assert (build / "yosys.log").read_text() == "synthesized\n"
    assert not (build / "pack.log").exists()  # no later step ran
    child = int((tmp_path / "child.pid").read_text())
    for _ in range(50):  # SIGKILL has been sent to the group; its delivery to the child is asynchronous
        if not running(child):
            break
        time.sleep(0.1)
    assert not running(child)


def test_step_within_its_limit_is_not_affected(monkeypatch, tmp_path):
    use_stand_in_flow(monkeypatch, tmp_path, "sleep 1\necho 'Info: routed' >> $LOG")
    build = tmp_path / "build"
    res = fpga.build_bitstream(get_board("ice40-hx8k-evn").load(), UartBoardTop(Loopback()), "top", build, timeout_s=60)
    assert res.fmax_mhz == {"clk": 40.0} and set(res.seconds) == {"synthesis", "place and route", "bitstream"}
    assert (build / "top.tim").read_text() == "Info: routing\nInfo: routed\n"
    assert (build / "pack.log").read_text() == "packed\n"


def test_more_nextpnr_options_follow_the_flow_s(monkeypatch, tmp_path):
    use_stand_in_flow(monkeypatch, tmp_path, "")
    build = tmp_path / "build"
    fpga.build_bitstream(
        get_board("ice40-hx8k-evn").load(), UartBoardTop(Loopback()), "top", build, nextpnr_opts=("--router", "router2")
    )
    (pnr,) = [c for c in json.loads((build / "build_top.json").read_text())["commands"] if c[0].startswith("nextpnr")]
    flow = len(fpga.FLOW_NEXTPNR_OPTS)
    at = pnr.index(fpga.FLOW_NEXTPNR_OPTS[0])
    assert pnr[at : at + flow + 2] == [*fpga.FLOW_NEXTPNR_OPTS, "--router", "router2"]


def test_ctrl_c_stops_the_tool_too(monkeypatch, tmp_path):
    """The tool runs in its own process group, which a terminal's Ctrl-C does not reach: the flow kills it."""
    use_stand_in_flow(monkeypatch, tmp_path, f"sleep 600 & echo $! > {tmp_path}/child.pid\nwait")

    def interrupt(step, line):
        if line == "Info: routing":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fpga.build_bitstream(
            get_board("ice40-hx8k-evn").load(), UartBoardTop(Loopback()), "top", tmp_path / "b", progress=interrupt
        )
    child = int((tmp_path / "child.pid").read_text())
    for _ in range(50):  # as above: the group's SIGKILL reaches the child asynchronously
        if not running(child):
            break
        time.sleep(0.1)
    assert not running(child)
