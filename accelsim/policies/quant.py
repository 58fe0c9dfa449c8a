"""Symmetric fixed-point quantization of K/V as a SpAtten-style accelerator stores them."""

from __future__ import annotations

import numpy as np


def quantize(x: np.ndarray, bits: int, axis: tuple[int, ...] = (-2, -1)) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and scale of ``x`` at ``bits`` (symmetric, one scale per slice over ``axis``)."""
    step = scale(np.max(np.abs(x), axis=axis, keepdims=True), bits)
    return np.round(x / step), step


def scale(amax: np.ndarray, bits: int) -> np.ndarray:
    """Symmetric quantization step at ``bits`` for slices whose largest magnitude is ``amax``."""
    return np.where(amax > 0, amax / (2 ** (bits - 1) - 1), 1.0)


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


def stored_views(x: np.ndarray, bits: int, lsb: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``x`` [G, N, D] as stored, in float32: from its MSBs alone and from all ``bits + lsb`` bits
    (:func:`msb_lsb`; the same array twice without ``lsb``: :func:`fake_quant` at ``bits``). Codes are
    rounded in float64 one slice ``x[g]`` (a KV head, its own scale) at a time, so that the float64
    temporaries stay one head's size at long contexts."""
    msb = np.empty(x.shape, np.float32)
    full = np.empty(x.shape, np.float32) if lsb else msb
    for g, xg in enumerate(x):
        if lsb:
            msb[g], full[g] = msb_lsb(xg.astype(np.float64), bits, lsb)
        else:
            msb[g] = fake_quant(xg.astype(np.float64), bits)
    return msb, full
