"""Seeded synthetic traces whose attention behaves like a real model's.

Real attention has sinks (the first token draws much of the mass) and heavy-tailed scores (a few
tokens dominate, and the same tokens stay important across heads and layers), which is what makes
cascade pruning work. Keys here are Gaussian noise plus, along a shared per-head direction, a
per-token salience drawn from a Pareto law (shared by all layers, with per-layer jitter, capped at
4); token 0 is a sink with salience ``sink``. Queries lean on the same direction, so their scores
inherit the salience.
"""

from __future__ import annotations

import numpy as np

from accelsim.trace.format import Trace, TraceMeta


def synthetic_trace(*, layers: int = 4, heads: int = 4, kv_heads: int | None = None,
                    head_dim: int = 32, prompt_len: int = 128, decode_steps: int = 8,
                    causal: bool = True, seed: int = 0, sink: float = 8.0,
                    tail: float = 1.5, dtype: type = np.float16) -> Trace:
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
        model="synthetic", layers=layers, heads=heads, kv_heads=kv_heads, head_dim=d,
        prompt_len=prompt_len, decode_steps=decode_steps, causal=causal,
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
