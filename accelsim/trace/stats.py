"""Attention probabilities recomputed from a trace, and how concentrated their mass is.

Probabilities are ``softmax(q . k / sqrt(D))`` in fp32 over the keys a query may attend to (causal,
full, or the stored masks); GQA query head h reads KV head ``h // (H / G)``, as transformers'
``repeat_kv`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from accelsim.trace.format import BLOCK_SCORES, Trace


def block_rows(per_row: int) -> int:
    """Query rows per block when each row holds ``per_row`` scores (at least one row)."""
    return max(1, BLOCK_SCORES // max(per_row, 1))


def softmax(s: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Softmax over the last axis restricted to ``valid`` entries (others get 0), in ``s``'s precision."""
    s = np.where(valid, s, -np.inf)
    m = np.max(s, axis=-1, keepdims=True)
    s -= np.where(np.isfinite(m), m, 0)
    e = np.exp(s, out=s)
    e *= valid
    tot = e.sum(axis=-1, keepdims=True)
    e /= np.where(tot > 0, tot, 1)
    return e


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
    return softmax(scores / np.float32(np.sqrt(d)), prefill_allowed(trace, layer))


def decode_probs(trace: Trace, layer: int, head: int) -> np.ndarray:
    """[S, T+S] probabilities of one query head at each decode step (0 beyond its keys)."""
    q, _, _ = trace.decode(layer)
    k, _ = trace.kv(layer)
    d = trace.meta.head_dim
    scores = q[:, head].astype(np.float32) @ k[head // trace.meta.group].astype(np.float32).T
    return softmax(scores / np.float32(np.sqrt(d)), decode_allowed(trace, layer))


def keys_for_mass(probs: np.ndarray, allowed: np.ndarray, mass: float) -> np.ndarray:
    """Per query row, the fewest keys whose probabilities add up to ``mass``, as a fraction of
    the keys the row may attend to."""
    ranked = -np.sort(-probs, axis=-1)
    needed = (np.cumsum(ranked, axis=-1) < mass).sum(axis=-1) + 1
    return np.minimum(needed, allowed.sum(axis=-1)) / allowed.sum(axis=-1)


def _blocks(trace: Trace, layer: int, phase: str) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(query rows, their keys [c, D], may-attend [c, n]) of ``phase``, :func:`block_rows` rows at a time."""
    m = trace.meta
    t, s = m.prompt_len, m.decode_steps
    if phase == "prefill":
        q, n, mask = trace.prefill(layer)[0], t, trace.prefill_mask(layer)
        rows = np.arange(t)
    else:
        q, n, mask = trace.decode(layer)[0].transpose(1, 0, 2), t + s, trace.decode_mask(layer)
        rows = t + np.arange(s)  # step s sees keys [0, T + s]
    keys = np.arange(n)
    step = block_rows(n)
    for i in range(0, len(rows), step):
        r = rows[i : i + step]
        if mask is not None:
            allowed = mask[i : i + step]
        elif phase == "prefill" and not m.causal:
            allowed = np.ones((len(r), n), bool)
        else:
            allowed = keys[None, :] <= r[:, None]
        yield slice(i, i + len(r)), q, allowed


def mass_summary(trace: Trace, masses: Sequence[float] = (0.9, 0.99)) -> list[dict[str, float]]:
    """Per layer: mean over heads and query rows of :func:`keys_for_mass` for each mass, for the
    prompt (``prefill@0.9`` ...) and, with decode steps, the decode queries (``decode@0.9`` ...);
    each head's probabilities are scored a block of query rows at a time."""
    m = trace.meta
    scale = np.float32(1 / np.sqrt(m.head_dim))
    rows = []
    for layer in range(m.layers):
        row: dict[str, float] = {"layer": layer}
        k = trace.kv(layer)[0]
        phases = ["prefill"] + (["decode"] if m.decode_steps else [])
        for phase in phases:
            sums = np.zeros(len(masses))
            count = 0
            for head in range(m.heads):
                kh = k[head // m.group].astype(np.float32)
                for span, q, allowed in _blocks(trace, layer, phase):
                    n = allowed.shape[1]
                    probs = softmax(q[head, span].astype(np.float32) @ kh[:n].T * scale, allowed)
                    sums += [keys_for_mass(probs, allowed, mass).sum() for mass in masses]
                    count += len(probs)
            for mass, total in zip(masses, sums, strict=True):
                row[f"{phase}@{mass:g}"] = float(total / count)
        rows.append(row)
    return rows
