"""The boards ``accelsim rtl build --board`` targets (definitions from ``amaranth-boards``) and the
top level that puts a UART design on one."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from amaranth import Elaboratable, Module
from amaranth.lib import io

BAUD = 115_200  # UART rate of the boards' FTDI bridges (FT2232H: up to 12 Mbaud; 115200 is the common default)


@dataclass(frozen=True)
class Board:
    """A board: its ``amaranth-boards`` platform class and what the CLI says about it."""

    module: str
    platform: str
    about: str

    def load(self):
        """A fresh platform instance."""
        return getattr(importlib.import_module(f"amaranth_boards.{self.module}"), self.platform)()


BOARDS = {
    "ice40-hx8k-evn": Board(
        "ice40_hx8k_b_evn",
        "ICE40HX8KBEVNPlatform",
        "Lattice iCE40-HX8K breakout: iCE40HX8K-CT256, 7,680 LCs, 32 BRAM 4K, 12 MHz",
    ),
    "ulx3s-85f": Board(
        "ulx3s", "ULX3S_85F_Platform", "Radiona ULX3S: ECP5 LFE5U-85F-6BG381, 84K LUTs, 208 BRAM 18K, 156 DSP, 25 MHz"
    ),
    "ulx3s-45f": Board(
        "ulx3s", "ULX3S_45F_Platform", "Radiona ULX3S: ECP5 LFE5U-45F-6BG381, 44K LUTs, 108 BRAM 18K, 72 DSP, 25 MHz"
    ),
    "ecp5-5g-evn": Board(
        "ecp5_5g_evn", "ECP55GEVNPlatform", "Lattice ECP5-5G evaluation board: LFE5UM5G-85F-8BG381, 84K LUTs, 12 MHz"
    ),
}
DEFAULT_BOARD = "ice40-hx8k-evn"


def get_board(name: str) -> Board:
    """The board called ``name``; KeyError lists the known ones."""
    try:
        return BOARDS[name]
    except KeyError:
        raise KeyError(f"unknown board {name!r}; expected one of: {', '.join(BOARDS)}") from None


def uart_divisor(platform, baud: int = BAUD) -> int:
    """Clock cycles per UART bit at the board's default clock."""
    return round(platform.default_clk_frequency / baud)


class UartBoardTop(Elaboratable):
    """``design`` (a component with ``rx`` and ``tx`` ports) wired to the board's first UART."""

    def __init__(self, design) -> None:
        self.design = design

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.design = self.design
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx_buffer = rx = io.Buffer("i", uart.rx)
        m.submodules.tx_buffer = tx = io.Buffer("o", uart.tx)
        m.d.comb += [self.design.rx.eq(rx.i), tx.o.eq(self.design.tx)]
        return m
