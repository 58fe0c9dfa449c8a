"""Hand-built traces whose attention is known: head dim 1 and queries of 1, so a key's score is
its value and the probabilities are a softmax of the keys."""

from __future__ import annotations

import numpy as np

from accelsim.trace.format import Trace, TraceMeta


def scalar_trace(keys: np.ndarray, prompt_len: int, values: np.ndarray | None = None,
                 queries: np.ndarray | None = None, group: int = 1) -> Trace:
    """One layer; ``keys`` [G, T + S] per KV head (scores of every query against them), ``values``
    likewise (default: a fixed random draw), ``queries`` [H, T + S] (default 1); ``group`` query
    heads per KV head."""
    keys = np.atleast_2d(np.asarray(keys, np.float32))
    g, n = keys.shape
    h = g * group
    values = np.random.default_rng(0).standard_normal((g, n)) if values is None else np.atleast_2d(values)
    queries = np.ones((h, n)) if queries is None else np.atleast_2d(queries)
    t, s = prompt_len, n - prompt_len
    meta = TraceMeta(model="hand-built", layers=1, heads=h, kv_heads=g, head_dim=1, prompt_len=t,
                     decode_steps=s)
    k, v, q = (x[..., None].astype(np.float32) for x in (keys, values, queries))
    tensors = {"layers.0.prefill.q": q[:, :t], "layers.0.prefill.k": k[:, :t], "layers.0.prefill.v": v[:, :t]}
    if s:
        tensors |= {"layers.0.decode.q": q[:, t:].transpose(1, 0, 2), "layers.0.decode.k": k[:, t:].transpose(1, 0, 2),
                    "layers.0.decode.v": v[:, t:].transpose(1, 0, 2)}
    return Trace(meta, tensors)


def probs(keys: np.ndarray, n: int) -> np.ndarray:
    """Attention of a unit query over the first ``n`` of ``keys``."""
    e = np.exp(np.asarray(keys[:n], np.float64) - np.max(keys[:n]))
    return e / e.sum()
