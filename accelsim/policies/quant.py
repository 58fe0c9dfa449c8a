"""Symmetric fixed-point quantization of K/V as a SpAtten-style accelerator stores them."""

from __future__ import annotations

import numpy as np


def quantize(x: np.ndarray, bits: int, axis: tuple[int, ...] = (-2, -1)) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and scale of ``x`` at ``bits`` (symmetric, one scale per slice over ``axis``)."""
    amax = np.max(np.abs(x), axis=axis, keepdims=True)
    scale = np.where(amax > 0, amax / (2 ** (bits - 1) - 1), 1.0)
    return np.round(x / scale), scale


def msb_lsb(x: np.ndarray, msb: int, lsb: int) -> tuple[np.ndarray, np.ndarray]:
    """Dequantized K from its MSBs alone, and from MSBs + LSBs (SpAtten Sec. III-D).

    The value is stored at ``msb + lsb`` bits; the MSB-only fetch drops the low ``lsb`` bits
    (arithmetic shift), so the MSB view is a coarser floor of the full code.
    """
    codes, scale = quantize(x, msb + lsb)
    msb_codes = np.floor(codes / 2**lsb) * 2**lsb
    return msb_codes * scale, codes * scale


def fake_quant(x: np.ndarray, bits: int) -> np.ndarray:
    """``x`` quantized to ``bits`` and dequantized."""
    codes, scale = quantize(x, bits)
    return codes * scale
