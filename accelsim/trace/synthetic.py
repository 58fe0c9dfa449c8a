"""Seeded synthetic traces whose attention behaves like a real model's.

Real attention has sinks (the first token draws much of the mass) and heavy-tailed scores (a few
tokens dominate, and the same tokens stay important across heads and layers), which is what makes
cascade pruning work. Keys here are Gaussian noise plus, along a shared per-head direction, a
per-token salience drawn from a Pareto law (shared by all layers, with per-layer jitter, capped at
4); token 0 is a sink with salience ``sink``. Queries lean on the same direction, so their scores
inherit the salience.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.trace.calibrate import Profile, rope_freqs
from accelsim.trace.format import Trace, TraceMeta, TraceWriter, read_trace


def synthetic_trace(
    *,
    layers: int = 4,
    heads: int = 4,
    kv_heads: int | None = None,
    head_dim: int = 32,
    prompt_len: int = 128,
    decode_steps: int = 8,
    causal: bool = True,
    seed: int = 0,
    sink: float = 8.0,
    tail: float = 1.5,
    dtype: type = np.float16,
) -> Trace:
    """Generate a trace with attention sinks and heavy-tailed, layer-persistent salience.

    ``tail`` is the Pareto shape of token salience (smaller: heavier tail); ``sink`` the salience
    of token 0.
    """
    kv_heads = kv_heads or heads
    rng = np.random.default_rng(seed)
    n = prompt_len + decode_steps
    d = head_dim
    salience = np.minimum(rng.pareto(tail, n) * 0.5, 4.0)
    salience[0] = sink
    meta = TraceMeta(
        model="synthetic",
        layers=layers,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=d,
        prompt_len=prompt_len,
        decode_steps=decode_steps,
        causal=causal,
        provenance={"source": "accelsim.trace.synthetic", "seed": seed, "sink": sink, "tail": tail},
    )
    tensors: dict[str, np.ndarray] = {}
    group = heads // kv_heads
    for layer in range(layers):
        u = rng.standard_normal((kv_heads, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        sal = salience * np.exp(0.3 * rng.standard_normal(n))  # layer jitter keeps ranks similar
        sal[0] = sink
        k = rng.standard_normal((kv_heads, n, d)) * 0.5 + sal[None, :, None] * u[:, None, :]
        v = rng.standard_normal((kv_heads, n, d))
        strength = rng.uniform(0.8, 1.6, heads)  # heads differ in how peaked they are
        uq = np.repeat(u, group, axis=0)
        q = rng.standard_normal((heads, n, d)) * 0.5 + strength[:, None, None] * uq[:, None, :] * np.sqrt(d)
        p = f"layers.{layer}."
        tensors[p + "prefill.q"] = q[:, :prompt_len].astype(dtype)
        tensors[p + "prefill.k"] = k[:, :prompt_len].astype(dtype)
        tensors[p + "prefill.v"] = v[:, :prompt_len].astype(dtype)
        if decode_steps:
            tensors[p + "decode.q"] = q[:, prompt_len:].transpose(1, 0, 2).astype(dtype)
            tensors[p + "decode.k"] = k[:, prompt_len:].transpose(1, 0, 2).astype(dtype)
            tensors[p + "decode.v"] = v[:, prompt_len:].transpose(1, 0, 2).astype(dtype)
    return Trace(meta, tensors)


def synthetic_like(
    profile: Profile,
    *,
    prompt_len: int,
    decode_steps: int = 0,
    seed: int = 0,
    dtype: type = np.float16,
    provenance: dict[str, Any] | None = None,
    out: Path | None = None,
) -> Trace:
    """Generate a trace of any length whose scores follow ``profile`` (see
    ``accelsim.trace.calibrate``), one layer at a time.

    Per KV head, rotary pairs at the profile's frequencies carry position (query amplitudes
    ``A_f``, so ``q_i . k_j / sqrt(D)`` adds ``sum_f A_f cos(theta_f (i - j))``); of the other
    dimensions one carries key 0's sink logit (fitted mean and spread over queries), one the key
    salience (a Gaussian copula with
    correlation ``rho`` across layers and KV groups, mapped to each group's fitted quantiles), the
    rest independent noise of the fitted spread. Keys and queries split each part's weight evenly
    (the smallest norms for those scores), keys scaled to the source's mean norm; values get its
    per-dimension mean and spread, key 0's value copied. With ``out`` the layers stream to that
    file (:class:`~accelsim.trace.format.TraceWriter`) and the trace is read back lazily.
    """
    from scipy.stats import norm  # scipy loads only when a calibrated trace is made

    src = profile.meta
    L, H, G, D = src.layers, src.heads, src.kv_heads, src.head_dim
    n, t = prompt_len + decode_steps, prompt_len
    freqs = rope_freqs(D)
    pairs = np.arange(D // 2)
    pos_dims = np.stack([2 * pairs[::2], 2 * pairs[::2] + 1], axis=1)  # [F, 2]
    free = np.stack([2 * pairs[1::2], 2 * pairs[1::2] + 1], axis=1).ravel()
    sink_dim, sal_dim, noise = free[0], free[1], free[2:]
    angle = np.outer(np.arange(n), freqs)
    rot = np.stack([np.cos(angle), np.sin(angle)], axis=-1)  # [N, F, 2]
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(n)
    root = np.sqrt(D)
    meta = TraceMeta(
        model=f"synthetic-like:{src.model}",
        layers=L,
        heads=H,
        kv_heads=G,
        head_dim=D,
        prompt_len=prompt_len,
        decode_steps=decode_steps,
        causal=src.causal,
        provenance={
            "source": "accelsim.trace.synthetic.synthetic_like",
            "seed": seed,
            "rho": profile.rho,
            **(provenance or {}),
        },
    )
    grid = np.linspace(0, 1, profile.salience.shape[-1])
    with ExitStack() as stack:
        tensors: dict[str, np.ndarray] = {}
        writer = None if out is None else stack.enter_context(TraceWriter(out))
        add = tensors.__setitem__ if writer is None else writer.add
        for layer in range(L):
            q = np.zeros((H, n, D), np.float32)
            k = np.zeros((G, n, D), np.float32)
            v = np.empty((G, n, D), np.float32)
            for g in range(G):
                heads = slice(g * src.group, (g + 1) * src.group)
                # Each part's key scale: the root of its mean query-side weight (the smallest norms for
                # those scores), then all keys scaled to the source's mean key norm, queries inversely.
                part = np.sqrt(
                    root * np.abs(np.stack([profile.sink[layer, heads], profile.alpha[layer, heads]])).mean(axis=1)
                )
                pos = np.sqrt(root * profile.amp[layer, heads].mean(axis=0))
                spread = np.sqrt(root * profile.sigma[layer, heads].mean() / np.sqrt(len(noise)))
                natural = np.sqrt((pos**2).sum() + part[1] ** 2 + len(noise) * spread**2)
                gain = profile.k_norm[layer, g] / max(natural, 1e-12)
                pos, part, spread = pos * gain, part * gain, spread * gain
                latent = np.sqrt(profile.rho) * shared + np.sqrt(1 - profile.rho) * rng.standard_normal(n)
                z = np.interp(norm.cdf(latent), grid, profile.salience[layer, g])
                z[0] = 0.0
                k[g][:, pos_dims] = pos[None, :, None] * rot
                k[g][0, sink_dim] = part[0]
                k[g][:, sal_dim] = part[1] * z
                k[g][:, noise] = spread * rng.standard_normal((n, len(noise)))
                v[g] = profile.v_mean[layer, g] + profile.v_std[layer, g] * rng.standard_normal((n, D))
                v[g][0] = profile.v_sink[layer, g]
                for h in range(heads.start, heads.stop):
                    q[h][:, pos_dims] = (root * _ratio(profile.amp[layer, h], pos))[None, :, None] * rot
                    lift = profile.sink[layer, h] + profile.sink_sd[layer, h] * rng.standard_normal(n)
                    q[h][:, sink_dim] = root * _ratio(lift, part[0])
                    q[h][:, sal_dim] = root * _ratio(profile.alpha[layer, h], part[1])
                    scale = root * _ratio(profile.sigma[layer, h], spread * np.sqrt(len(noise)))
                    q[h][:, noise] = scale * rng.standard_normal((n, len(noise)))
            p = f"layers.{layer}."
            add(p + "prefill.q", q[:, :t].astype(dtype))
            add(p + "prefill.k", k[:, :t].astype(dtype))
            add(p + "prefill.v", v[:, :t].astype(dtype))
            if decode_steps:
                add(p + "decode.q", q[:, t:].transpose(1, 0, 2).astype(dtype))
                add(p + "decode.k", k[:, t:].transpose(1, 0, 2).astype(dtype))
                add(p + "decode.v", v[:, t:].transpose(1, 0, 2).astype(dtype))
        if writer is None:
            return Trace(meta, tensors)
        writer.finish(meta)
    return read_trace(out)


def _ratio(weight: np.ndarray | float, scale: np.ndarray | float) -> np.ndarray:
    """``weight / scale``, 0 where the scale is 0 (a part no head of the group uses)."""
    scale = np.asarray(scale, dtype=np.float64)
    return np.where(scale > 0, np.asarray(weight) / np.where(scale > 0, scale, 1.0), 0.0)
