"""Attention probabilities recomputed from a trace, and how concentrated their mass is.

Probabilities are ``softmax(q . k / sqrt(D))`` in fp32 over the keys a query may attend to (causal,
full, or the stored masks); GQA query head h reads KV head ``h // (H / G)``, as transformers'
``repeat_kv`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from accelsim.trace.format import Trace


def _softmax(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    scores = np.where(allowed, scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=-1, keepdims=True)


def prefill_allowed(trace: Trace, layer: int) -> np.ndarray:
    """[T, T] bool: which keys each prompt query may attend to."""
    mask = trace.prefill_mask(layer)
    if mask is not None:
        return mask
    t = trace.meta.prompt_len
    return np.tril(np.ones((t, t), bool)) if trace.meta.causal else np.ones((t, t), bool)


def decode_allowed(trace: Trace, layer: int) -> np.ndarray:
    """[S, T+S] bool: which keys each decode step may attend to (step s: at most T + s + 1)."""
    mask = trace.decode_mask(layer)
    if mask is not None:
        return mask
    t, s = trace.meta.prompt_len, trace.meta.decode_steps
    return np.arange(t + s)[None, :] < (t + 1 + np.arange(s))[:, None]


def prefill_probs(trace: Trace, layer: int, head: int) -> np.ndarray:
    """[T, T] attention probabilities of one query head over the prompt."""
    q, k, _ = trace.prefill(layer)
    d = trace.meta.head_dim
    scores = q[head].astype(np.float32) @ k[head // trace.meta.group].astype(np.float32).T
    return _softmax(scores / np.float32(np.sqrt(d)), prefill_allowed(trace, layer))


def decode_probs(trace: Trace, layer: int, head: int) -> np.ndarray:
    """[S, T+S] probabilities of one query head at each decode step (0 beyond its keys)."""
    q, _, _ = trace.decode(layer)
    k, _ = trace.kv(layer)
    d = trace.meta.head_dim
    scores = q[:, head].astype(np.float32) @ k[head // trace.meta.group].astype(np.float32).T
    return _softmax(scores / np.float32(np.sqrt(d)), decode_allowed(trace, layer))


def keys_for_mass(probs: np.ndarray, allowed: np.ndarray, mass: float) -> np.ndarray:
    """Per query row, the fewest keys whose probabilities add up to ``mass``, as a fraction of
    the keys the row may attend to."""
    ranked = -np.sort(-probs, axis=-1)
    needed = (np.cumsum(ranked, axis=-1) < mass).sum(axis=-1) + 1
    return np.minimum(needed, allowed.sum(axis=-1)) / allowed.sum(axis=-1)


def mass_summary(trace: Trace, masses: Sequence[float] = (0.9, 0.99)) -> list[dict[str, float]]:
    """Per layer: mean over heads and query rows of :func:`keys_for_mass` for each mass, for the
    prompt (``prefill@0.9`` ...) and, with decode steps, the decode queries (``decode@0.9`` ...)."""
    rows = []
    for layer in range(trace.meta.layers):
        row: dict[str, float] = {"layer": layer}
        phases = [("prefill", prefill_probs, prefill_allowed(trace, layer))]
        if trace.meta.decode_steps:
            phases.append(("decode", decode_probs, decode_allowed(trace, layer)))
        for phase, probs_of, allowed in phases:
            sums = np.zeros(len(masses))
            for head in range(trace.meta.heads):
                probs = probs_of(trace, layer, head)
                sums += [keys_for_mass(probs, allowed, m).mean() for m in masses]
            for m, total in zip(masses, sums, strict=True):
                row[f"{phase}@{m:g}"] = float(total / trace.meta.heads)
        rows.append(row)
    return rows
