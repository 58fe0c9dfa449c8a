"""DRAM standards as data: organisation, timing, IDD currents and controller settings.

A :class:`DramSpec` is one table, the way Ramulator2 describes a standard. Presets live in
``standards/*.yaml`` and register by file name; :func:`load_dram` also reads a user YAML or a
DRAMsim3 ``.ini`` (importer: organisation, timing, IDD power, address mapping, queue sizes).
"""

from __future__ import annotations

import configparser
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import NonNegativeInt, PositiveFloat, PositiveInt, field_validator, model_validator

from accelsim.config.base import Strict, read_yaml, validate
from accelsim.errors import InputError
from accelsim.inputs import read_text

FIELDS = ("ch", "ra", "bg", "ba", "ro", "co")
"""Address fields of a mapping string such as ``rorabgbachco`` (most significant first)."""


def _pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


class Organisation(Strict):
    """How one channel is built. Sizes are powers of two (address bits are sliced from them)."""

    channels: PositiveInt
    """Independent channels (pseudo-channels for HBM in pseudo-channel mode)."""
    pseudo_channels: PositiveInt = 1
    """Pseudo-channels per channel (HBM pseudo-channel mode: 2): ``channels`` counts
    pseudo-channels, and ``pseudo_channels`` neighbours (by the channel address field) form one
    channel, which shares an outstanding-request limit and is what ``dram.channels`` counts."""
    ranks: PositiveInt = 1
    """Ranks per channel."""
    bankgroups: PositiveInt
    """Bank groups per rank (1 for standards without bank groups)."""
    banks_per_group: PositiveInt
    """Banks per bank group."""
    rows: PositiveInt
    """Rows per bank."""
    columns: PositiveInt
    """Columns per row, each ``device_width`` bits wide (the page is columns x bus_width bits)."""
    device_width: PositiveInt
    """Data bits per device (x4/x8/x16; HBM: the channel width)."""
    bus_width: PositiveInt
    """Data bits of a channel."""
    burst_length: PositiveInt
    """Beats per access (BL); one access moves bus_width / 8 x burst_length bytes."""

    @field_validator("*")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if not _pow2(v):
            raise ValueError("must be a power of two")
        return v

    @model_validator(mode="after")
    def _check(self) -> Organisation:
        bad = []
        if self.bus_width % self.device_width:
            bad.append(f"bus_width {self.bus_width} is not a multiple of device_width "
                       f"{self.device_width}")
        if self.channels % self.pseudo_channels:
            bad.append(f"channels ({self.channels}) must be a multiple of pseudo_channels "
                       f"({self.pseudo_channels})")
        if self.columns < self.burst_length:
            bad.append(f"columns ({self.columns}) must be at least burst_length "
                       f"({self.burst_length})")
        if bad:
            raise ValueError("; ".join(bad))
        return self

    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bankgroups * self.banks_per_group

    @property
    def access_bytes(self) -> int:
        """Bytes moved by one read or write command."""
        return self.bus_width // 8 * self.burst_length

    @property
    def devices_per_rank(self) -> int:
        return self.bus_width // self.device_width

    @property
    def capacity_bytes(self) -> int:
        return (self.channels * self.ranks * self.banks * self.rows * self.columns
                * self.bus_width // 8)


class Timing(Strict):
    """JEDEC timing parameters in memory-clock cycles (``tCK_ns`` is the clock period)."""

    tCK_ns: PositiveFloat
    """Clock period in ns; data moves on both edges (DDR)."""
    CL: PositiveInt
    """READ to first data (read latency, AL = 0)."""
    CWL: PositiveInt
    """WRITE to first data (write latency)."""
    tRCD: PositiveInt
    """ACT to READ/WRITE, same bank."""
    tRP: PositiveInt
    """PRE to ACT, same bank."""
    tRAS: PositiveInt
    """ACT to PRE, same bank."""
    tRC: PositiveInt | None = None
    """ACT to ACT, same bank; defaults to tRAS + tRP."""
    tCCD_S: PositiveInt
    """Column command to column command, different bank group."""
    tCCD_L: PositiveInt
    """Column command to column command, same bank group."""
    tRRD_S: PositiveInt
    """ACT to ACT, different bank group, same rank."""
    tRRD_L: PositiveInt
    """ACT to ACT, same bank group."""
    tFAW: PositiveInt
    """Window holding at most four ACTs per rank."""
    tRTP: PositiveInt
    """READ to PRE, same bank."""
    tRTRS: NonNegativeInt = 1
    """Rank-to-rank data-bus switch gap."""
    tREFI: PositiveInt
    """Average interval between all-bank REFRESH commands per rank."""
    tRFC: PositiveInt
    """REFRESH to ACT (the rank is busy refreshing)."""

    @model_validator(mode="after")
    def _check(self) -> Timing:
        if self.tRC is not None and self.tRC < self.tRAS:
            raise ValueError(f"tRC ({self.tRC}) must be at least tRAS ({self.tRAS})")
        if self.tRFC >= self.tREFI:
            raise ValueError(f"tRFC ({self.tRFC}) must be below tREFI ({self.tREFI})")
        if self.tCCD_L < self.tCCD_S or self.tRRD_L < self.tRRD_S:
            raise ValueError("tCCD_L/tRRD_L must be at least tCCD_S/tRRD_S")
        return self

    @property
    def rc(self) -> int:
        """tRC, or tRAS + tRP when not given."""
        return self.tRC if self.tRC is not None else self.tRAS + self.tRP


class Power(Strict):
    """Supply voltage and IDD currents (mA per device), as in the datasheets' IDD tables."""

    VDD: PositiveFloat
    """Core supply (V)."""
    IDD0: PositiveFloat
    """One-bank ACT-PRE current."""
    IDD2N: PositiveFloat
    """Precharged standby current."""
    IDD3N: PositiveFloat
    """Active standby current."""
    IDD4R: PositiveFloat
    """Burst read current."""
    IDD4W: PositiveFloat
    """Burst write current."""
    IDD5AB: PositiveFloat
    """All-bank refresh current."""

    @model_validator(mode="after")
    def _check(self) -> Power:
        for name in ("IDD0", "IDD4R", "IDD4W", "IDD5AB"):
            if getattr(self, name) < self.IDD3N:
                raise ValueError(f"{name} ({getattr(self, name)}) must be at least IDD3N "
                                 f"({self.IDD3N})")
        return self


class Controller(Strict):
    """Memory-controller settings (DRAMsim3 ``[system]`` names)."""

    address_mapping: str = "rorabgbachco"
    """Field order from the most significant bit, two letters each: ch ra bg ba ro co."""
    trans_queue_size: PositiveInt = 32
    """Transaction-queue entries per channel; also the FR-FCFS reordering window."""
    cmd_queue_size: PositiveInt = 8
    """Command-queue entries per bank."""
    dual_command: bool = False
    """Row and column commands may issue in the same cycle (HBM's separate command buses)."""
    page_policy: Literal["open"] = "open"
    """Row-buffer policy: rows stay open until a conflict or a refresh closes them."""

    @model_validator(mode="after")
    def _check(self) -> Controller:
        m = self.address_mapping
        tokens = [m[i:i + 2] for i in range(0, len(m), 2)]
        if len(m) != 12 or sorted(tokens) != sorted(FIELDS):
            raise ValueError(f"address_mapping must name each of {', '.join(FIELDS)} once "
                             f"(e.g. 'rorabgbachco'), not {m!r}")
        return self


class DramSpec(Strict):
    """One DRAM standard/part: the table the bank-aware model runs on."""

    name: str
    """Preset name (what ``--dram`` and ``dram.preset`` accept)."""
    standard: str
    """JEDEC standard family (HBM2, HBM3, DDR4, LPDDR4, LPDDR5)."""
    source: str
    """Where the numbers come from (JEDEC standard, datasheet, DRAMsim3 config)."""
    organisation: Organisation
    timing: Timing
    power: Power
    controller: Controller = Controller()

    @cached_property
    def field_bits(self) -> dict[str, tuple[int, int]]:
        """(shift, width) of each address field in a byte address."""
        o = self.organisation
        widths = {
            "ch": o.channels.bit_length() - 1,
            "ra": o.ranks.bit_length() - 1,
            "bg": o.bankgroups.bit_length() - 1,
            "ba": o.banks_per_group.bit_length() - 1,
            "ro": o.rows.bit_length() - 1,
            "co": (o.columns // o.burst_length).bit_length() - 1,
        }
        m = self.controller.address_mapping
        pos = o.access_bytes.bit_length() - 1
        out: dict[str, tuple[int, int]] = {}
        for token in reversed([m[i:i + 2] for i in range(0, 12, 2)]):
            out[token] = (pos, widths[token])
            pos += widths[token]
        return out

    @property
    def burst_cycles(self) -> int:
        """Cycles a burst holds the data bus (BL / 2, double data rate)."""
        return max(1, self.organisation.burst_length // 2)

    @property
    def peak_gbs(self) -> float:
        o = self.organisation
        return o.channels * o.access_bytes / (self.burst_cycles * self.timing.tCK_ns)

    def with_channels(self, channels: int) -> DramSpec:
        """This standard with ``channels`` channels, each of ``pseudo_channels`` pseudo-channels
        (a power of two: the channel is decoded from address bits)."""
        o = self.organisation
        data = self.model_dump()
        data["organisation"]["channels"] = channels * o.pseudo_channels
        return validate(DramSpec, data, f"preset {self.name} with {channels} channels")


# ---------------------------------------------------------------------------- registry

_STANDARDS = resources.files("accelsim.hw.dram") / "standards"


def standards() -> list[str]:
    """Names of the registered presets (the YAML files in ``standards/``)."""
    return sorted(p.name[:-5] for p in _STANDARDS.iterdir() if p.name.endswith(".yaml"))


def load_dram(spec: str | Path | DramSpec) -> DramSpec:
    """A preset name, a YAML file or a DRAMsim3 ``.ini`` file -> :class:`DramSpec`.

    Raises
    ------
    InputError
        Unknown preset (the message lists the registered ones), unreadable file, or a table
        with a missing/negative timing or an impossible organisation (the field is named).
    """
    if isinstance(spec, DramSpec):
        return spec
    text = str(spec)
    path = Path(text)
    if path.suffix == ".ini":
        return from_dramsim3_ini(path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        data = read_yaml(path)
        return validate(DramSpec, data, path)
    key = text.lower()
    if key not in standards():
        raise InputError(None, "dram", f"unknown DRAM preset {text!r}; registered: "
                         f"{', '.join(standards())} (or give a .yaml or DRAMsim3 .ini file)")
    res = _STANDARDS / f"{key}.yaml"
    with resources.as_file(res) as p:
        return validate(DramSpec, read_yaml(p), f"preset {key}")


def from_dramsim3_ini(path: str | Path) -> DramSpec:
    """Import a DRAMsim3 configuration file (its ``[dram_structure]``, ``[timing]``,
    ``[power]`` and ``[system]`` sections) as a :class:`DramSpec`.

    Follows DRAMsim3's reading of the file: HBM doubles ``columns`` (pseudo-channel pairs share
    the page), ranks = channel_size / rank capacity, tRC = tRAS + tRP, HBM's read tRCD is tRCDRD
    and HBM gets the dual command bus. One departure: HBM's tRTP is the file's tRTP_L (JESD235),
    where DRAMsim3 falls back to its default of 5.
    """
    path = Path(path)
    parser = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    parser.optionxform = str  # keep key case (tRCD vs trcd)
    try:
        parser.read_string(read_text(path))
    except configparser.Error as err:
        raise InputError(path, None, f"malformed .ini: {err.message}") from None

    def get(section: str, key: str, kind: type = int, default: object = None):
        if not parser.has_option(section, key):
            if default is None:
                raise InputError(path, f"{section}.{key}", "missing")
            return default
        raw = parser.get(section, key).strip()
        try:
            value = kind(raw)
        except ValueError:
            raise InputError(path, f"{section}.{key}", f"not a {kind.__name__}: {raw!r}") from None
        if kind is int and value < 1 and section in ("dram_structure", "system"):
            raise InputError(path, f"{section}.{key}", f"expected a positive integer, got {raw!r}")
        return value

    protocol = get("dram_structure", "protocol", str)
    hbm = protocol.upper().startswith("HBM")
    bl = get("dram_structure", "BL")
    columns = get("dram_structure", "columns") * (2 if hbm else 1)
    bus = get("system", "bus_width")
    dev = get("dram_structure", "device_width")
    rows = get("dram_structure", "rows")
    bgs = get("dram_structure", "bankgroups")
    bpg = get("dram_structure", "banks_per_group")
    rank_mb = columns * dev // 8 * rows // 1024 * bgs * bpg * (bus // dev) // 1024
    ranks = max(1, get("system", "channel_size") // rank_mb) if rank_mb else 1
    data = {
        "name": path.stem,
        "standard": protocol,
        "source": f"DRAMsim3 configuration {path.name} (umd-memsys/DRAMsim3 configs/)",
        "organisation": {
            "channels": get("system", "channels"), "ranks": ranks, "bankgroups": bgs,
            "banks_per_group": bpg, "rows": rows, "columns": columns, "device_width": dev,
            "bus_width": bus, "burst_length": bl,
        },
        "timing": {
            "tCK_ns": get("timing", "tCK", float), "CL": get("timing", "CL"),
            "CWL": get("timing", "CWL"),
            "tRCD": get("timing", "tRCDRD") if hbm else get("timing", "tRCD"),
            "tRP": get("timing", "tRP"), "tRAS": get("timing", "tRAS"),
            "tCCD_S": get("timing", "tCCD_S"), "tCCD_L": get("timing", "tCCD_L"),
            "tRRD_S": get("timing", "tRRD_S"), "tRRD_L": get("timing", "tRRD_L"),
            "tFAW": get("timing", "tFAW"),
            "tRTP": get("timing", "tRTP_L" if hbm else "tRTP", int, 5),
            "tRTRS": get("timing", "tRTRS", int, 2),
            "tREFI": get("timing", "tREFI"), "tRFC": get("timing", "tRFC"),
        },
        "power": {k: get("power", k, float) for k in
                  ("VDD", "IDD0", "IDD2N", "IDD3N", "IDD4R", "IDD4W", "IDD5AB")},
        "controller": {
            "address_mapping": get("system", "address_mapping", str, "chrobabgraco"),
            "trans_queue_size": get("system", "trans_queue_size", int, 32),
            "cmd_queue_size": get("system", "cmd_queue_size", int, 16),
            "dual_command": hbm,
        },
    }
    if get("system", "row_buf_policy", str, "OPEN_PAGE") != "OPEN_PAGE":
        raise InputError(path, "system.row_buf_policy", "only OPEN_PAGE is modelled")
    return validate(DramSpec, data, path)

