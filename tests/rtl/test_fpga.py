"""The bitstream flow: tools resolved, nextpnr's utilisation read, a design over capacity stopped
before placement (with stand-in tools, so this runs in a second)."""

import stat

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
