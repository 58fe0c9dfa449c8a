"""Where SpAtten keeps K and V in DRAM, and which addresses a fetch of kept rows touches.

SpAtten (Wang et al., HPCA 2021, Sec. III-D and IV-A) stores each head's token rows
contiguously and splits keys into an MSB plane, fetched first, and an LSB plane, fetched again
only when the softmax output is too flat (progressive quantization). So DRAM holds three
regions, each ``[layer][head][token]`` with rows back to back:

    key MSB plane | key LSB plane | values

A fetch of the kept rows of one (layer, head) turns into the ``access_bytes``-aligned DRAM
accesses that cover those rows, in address order (the fetcher walks kept rows in token order).
When only counts are known (the SpAtten authors' CSV traces, a WorkPlan without indices),
:func:`kept_rows` draws a seeded set of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Region = Literal["key_msb", "key_lsb", "value"]
REGIONS: tuple[str, ...] = ("key_msb", "key_lsb", "value")
REGION_ALIGN = 1 << 20  # regions start on 1 MiB boundaries (assumption: allocator granularity)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class KVLayout:
    """The K/V address map of one model on one accelerator.

    Parameters
    ----------
    layers, heads, max_tokens, d : int
        Model shape; ``max_tokens`` rows are reserved per head.
    key_msb_bits, key_lsb_bits, value_bits : int
        Bits per element in each plane (SpAtten: 8 + 4 key bits, 8 value bits is one setting;
        ``key_lsb_bits = 0`` means no LSB plane).
    align : int
        Each head's rows start on this boundary (SpAtten RTL: 32-byte AXI reads).
    base : int
        Byte address of the first region.
    """

    layers: int
    heads: int
    max_tokens: int
    d: int
    key_msb_bits: int = 8
    key_lsb_bits: int = 4
    value_bits: int = 8
    align: int = 32
    base: int = 0

    def __post_init__(self) -> None:
        for name in ("layers", "heads", "max_tokens", "d", "key_msb_bits", "value_bits",
                     "align"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        if self.key_lsb_bits < 0 or self.base < 0:
            raise ValueError("key_lsb_bits and base must be non-negative")
        if self.align & (self.align - 1):
            raise ValueError(f"align must be a power of two, not {self.align}")

    def row_bytes(self, region: Region) -> int:
        """Bytes of one token row in ``region``."""
        bits = {"key_msb": self.key_msb_bits, "key_lsb": self.key_lsb_bits,
                "value": self.value_bits}[region]
        return _ceil_div(self.d * bits, 8)

    def head_bytes(self, region: Region) -> int:
        """Bytes reserved per head in ``region`` (``max_tokens`` rows, aligned)."""
        return _ceil_div(self.max_tokens * self.row_bytes(region), self.align) * self.align

    def region_base(self, region: Region) -> int:
        """Byte address where ``region`` starts."""
        if region not in REGIONS:
            raise ValueError(f"region must be one of {REGIONS}, not {region!r}")
        addr = self.base
        for r in REGIONS:
            if r == region:
                return addr
            size = self.layers * self.heads * self.head_bytes(r)
            addr += _ceil_div(size, REGION_ALIGN) * REGION_ALIGN
        raise AssertionError("unreachable")

    def row_address(self, region: Region, layer: int, head: int, tokens: np.ndarray) -> np.ndarray:
        """Byte address of each token row (int64)."""
        tokens = np.asarray(tokens, dtype=np.int64)
        if not 0 <= layer < self.layers or not 0 <= head < self.heads:
            raise ValueError(f"(layer, head) = ({layer}, {head}) outside "
                             f"{self.layers} x {self.heads}")
        if len(tokens) and (tokens.min() < 0 or tokens.max() >= self.max_tokens):
            raise ValueError(f"token index outside 0..{self.max_tokens - 1}")
        head_base = (self.region_base(region)
                     + (layer * self.heads + head) * self.head_bytes(region))
        return head_base + tokens * self.row_bytes(region)

    def accesses(
        self, region: Region, layer: int, head: int, tokens: np.ndarray, access_bytes: int = 32
    ) -> np.ndarray:
        """The ``access_bytes``-aligned addresses that cover the rows of ``tokens``, ascending
        and without repeats (rows that share an access fetch it once)."""
        if region == "key_lsb" and self.key_lsb_bits == 0:
            return np.zeros(0, dtype=np.int64)
        rb = self.row_bytes(region)
        start = np.sort(self.row_address(region, layer, head, tokens))
        first = start // access_bytes
        count = (start + rb - 1) // access_bytes - first + 1
        offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        blocks = np.repeat(first, count) + offsets
        keep = np.r_[True, blocks[1:] != blocks[:-1]]
        return blocks[keep] * access_bytes


def kept_rows(count: int, context: int, seed: int) -> np.ndarray:
    """``count`` of ``context`` token rows drawn without replacement, ascending (the fetcher's
    address order). Used when a trace gives only how many rows survive pruning."""
    if not 0 <= count <= context:
        raise ValueError(f"count must be in 0..{context}, not {count}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(context, size=count, replace=False)).astype(np.int64)
