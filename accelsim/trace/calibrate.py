"""Fit a trace's attention statistics per layer and head, and measure them, for calibrated synthesis.

Scores ``s_ij = q_i . k_j / sqrt(D)`` of each query head (prompt, causal or full) are split into
parts a generator can reproduce exactly (``accelsim.trace.synthetic.synthetic_like``):

- a **distance profile** ``g(|i - j|)``: the mean score at each distance, fitted by non-negative
  least squares as ``c + sum_f A_f cos(theta_f |i - j|)`` over RoPE frequencies
  ``theta_f = 10000^(-4f/D)`` (every other rotary pair; RoPE, Su et al. 2021) at log-spaced
  distances, amplitudes lightly penalised — recency and long-range lift in one curve that extends to any length;
- a **sink** logit ``b``: the logit that gives key 0 the log-odds it has against the other keys
  when those are drawn as the generator draws them (profile, salience, noise; one seeded draw),
  so the sink's mass carries over; mean and spread over queries;
- a **key salience** ``c_j``: key j's mean residual over the queries that see it (heavy hitters),
  kept as quantiles of the KV group's standardised salience, with the group's per-head scale
  ``alpha_h``, and ``rho``, the mean correlation of salience across layers and KV groups;
- **noise** ``sigma``: set so that keys drawn as the generator draws them have the source's
  attention entropy (128 probed queries, key 0 left out; bisection), starting from the residual's
  spread.

Keys' mean norm and values' per-dimension mean and spread (key 0's value exactly) are kept too.
:func:`head_stats` measures what policies feel — sink mass, recency (mass on the last 32 keys),
normalised entropy, norms — to compare a real trace with its synthetic twin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accelsim.errors import InputError
from accelsim.trace.format import Trace, TraceMeta

ROPE_BASE = 10000.0
"""RoPE's base (Su et al. 2021, "RoFormer", eq. 15): the profile's cosine frequencies."""
MAX_FIT_TOKENS = 4096
"""Tokens of the source fitted (its prefix): [T, T] scores per head stay under 64 MiB."""
PROFILE_POINTS = 64
"""Log-spaced distances the profile is fitted at (each 'cos' term is one unknown: 16 for D = 64)."""
RIDGE = 0.1
"""Weight of the amplitudes' penalty in the profile fit (scores are O(1); without it, near-equal
low frequencies fit with large amplitudes of opposite effect)."""
SINK_ROWS_FROM = 64
"""First query whose sink odds are fitted (causal): earlier ones see too few keys for the averages."""
PROBE_ROWS = 128
"""Query rows whose entropy the noise is fitted to (standard error of a mean entropy ~1/sqrt(128))."""
ENTROPY_STEPS = 14
"""Bisection steps for the noise (its bracket narrowed 16,000-fold)."""
QUANTILES = 257
"""Quantiles kept of each KV group's salience distribution (tails to 1/256)."""
RECENT = 32
"""Keys counted as recent in :func:`head_stats` (StreamingLLM's windows are 32-1024 keys)."""


def rope_freqs(head_dim: int) -> np.ndarray:
    """The profile's frequencies: every other RoPE frequency ``10000^(-2i/D)`` (i even)."""
    return ROPE_BASE ** (-np.arange(0, head_dim // 2, 2) * 2.0 / head_dim)


@dataclass(frozen=True)
class Profile:
    """Fitted statistics of a trace, arrays indexed [layer, head] (heads: query heads unless said)."""

    meta: TraceMeta
    """The source's metadata."""
    amp: np.ndarray
    """[L, H, F] non-negative cosine amplitudes of the distance profile (F = D/4 frequencies)."""
    sink: np.ndarray
    """[L, H] key 0's mean logit above the profile (matching its odds against the other keys)."""
    sink_sd: np.ndarray
    """[L, H] its spread over queries."""
    alpha: np.ndarray
    """[L, H] score per unit of the KV group's standardised key salience."""
    sigma: np.ndarray
    """[L, H] spread of the remaining score noise."""
    salience: np.ndarray
    """[L, G, QUANTILES] quantiles of each KV group's standardised key salience."""
    rho: float
    """Mean correlation of key salience between (layer, KV group) pairs."""
    k_norm: np.ndarray
    """[L, G] mean key norm (keys 1..)."""
    v_mean: np.ndarray
    """[L, G, D] per-dimension mean of values (keys 1..)."""
    v_std: np.ndarray
    """[L, G, D] per-dimension spread of values."""
    v_sink: np.ndarray
    """[L, G, D] key 0's value."""


def fit_profile(trace: Trace, source: str = "--like") -> Profile:
    """Fit :class:`Profile` to the prompt of ``trace`` (its first ``MAX_FIT_TOKENS`` tokens)."""
    from scipy.optimize import nnls
    from scipy.special import logsumexp
    from scipy.stats import norm

    meta = trace.meta
    if meta.masked or meta.windows is not None:
        raise InputError(source, "meta", "calibration needs a causal or full trace without masks or windows")
    if meta.head_dim < 8:
        raise InputError(source, "meta.head_dim", f"calibration needs a head dim of at least 8, not {meta.head_dim}")
    t = min(meta.prompt_len, MAX_FIT_TOKENS)
    if t < 16:
        raise InputError(source, "meta.prompt_len", f"calibration needs at least 16 prompt tokens, not {t}")
    L, H, G, D = meta.layers, meta.heads, meta.kv_heads, meta.head_dim
    freqs = rope_freqs(D)
    dist = np.abs(np.arange(t)[:, None] - np.arange(t)[None, :])
    allowed = np.tril(np.ones((t, t), bool)) if meta.causal else np.ones((t, t), bool)
    allowed[:, 0] = False  # the sink is fitted apart
    cols = max(2, (3 * t) // 4) if meta.causal else t  # causal: keys seen by >= T/4 queries
    points = np.unique(np.geomspace(1, t - 1, PROFILE_POINTS).round().astype(int))
    basis = np.cos(np.outer(np.r_[0, points], freqs))
    design = np.hstack([basis, np.ones((len(basis), 1)), -np.ones((len(basis), 1))])
    ridge = np.hstack([RIDGE * np.eye(len(freqs)), np.zeros((len(freqs), 2))])
    design = np.vstack([design, ridge])  # cosines that cancel each other cost amplitude
    counts = np.bincount(dist[allowed], minlength=t)
    rows = np.arange(min(SINK_ROWS_FROM, t // 4) if meta.causal else 0, t)
    probe = rows[:: max(1, len(rows) // PROBE_ROWS)]
    amp = np.zeros((L, H, len(freqs)))
    sink, sink_sd, alpha, sigma = (np.zeros((L, H)) for _ in range(4))
    salience, normal = np.zeros((L, G, QUANTILES)), []
    grid, rng = np.linspace(0, 1, QUANTILES), np.random.default_rng(0)
    k_norm, v_mean, v_std, v_sink = np.zeros((L, G)), np.zeros((L, G, D)), np.zeros((L, G, D)), np.zeros((L, G, D))
    for layer in range(L):
        q, k, v = (a[:, :t].astype(np.float32) for a in trace.prefill(layer))
        k_norm[layer] = np.linalg.norm(k[:, 1:], axis=-1).mean(axis=1)
        v_mean[layer], v_std[layer], v_sink[layer] = v[:, 1:].mean(axis=1), v[:, 1:].std(axis=1), v[:, 0]
        effects = np.zeros((H, cols - 1))
        odds, profiles, target = np.zeros((H, len(rows))), np.zeros((H, t)), np.zeros(H)
        for h in range(H):
            s = q[h] @ k[h // meta.group].T / np.float32(np.sqrt(D))
            mean = np.bincount(dist[allowed], weights=s[allowed], minlength=t) / np.maximum(counts, 1)
            x, _ = nnls(design, np.r_[mean[np.r_[0, points]], np.zeros(len(freqs))])
            amp[layer, h] = x[: len(freqs)]
            fitted = np.cos(np.outer(np.arange(t), freqs)) @ amp[layer, h] + x[-2] - x[-1]
            resid = np.where(allowed, s - fitted[dist], 0.0)
            # Key 0's log-odds against the other keys (matched below against the generator's keys).
            odds[h] = s[rows, 0] - fitted[rows] - logsumexp(np.where(allowed, s, -np.inf)[rows], axis=1)
            profiles[h] = fitted
            target[h] = _entropy(s[probe], allowed[probe])
            seen = allowed[:, 1:cols].sum(axis=0)
            effects[h] = resid[:, 1:cols].sum(axis=0) / seen
            total = (resid[:, 1:cols] ** 2).sum() - (seen * effects[h] ** 2).sum()
            sigma[layer, h] = np.sqrt(max(total, 0.0) / seen.sum())
        for g in range(G):
            heads = slice(g * meta.group, (g + 1) * meta.group)
            spread = effects[heads].std(axis=1, keepdims=True) + 1e-12
            z = (effects[heads] / spread).mean(axis=0)
            z = (z - z.mean()) / (z.std() + 1e-12)
            salience[layer, g] = np.quantile(z, grid)
            normal.append(norm.ppf((np.argsort(np.argsort(z)) + 0.5) / len(z)))
            for h in range(heads.start, heads.stop):
                c = effects[h]
                alpha[layer, h] = float(np.cov(c, z)[0, 1])  # z has unit variance: the slope on z
                left = max(c.var() - alpha[layer, h] ** 2, 0.0)  # salience z does not explain: noise
                sigma[layer, h] = np.sqrt(sigma[layer, h] ** 2 + left)
                # The sink logit that gives key 0 the same log-odds against keys drawn as the generator
                # draws them (profile + alpha z + noise), so its mass, not only its score, carries over.
                # Keys drawn as the generator draws them; the noise is set so that their entropy (probed
                # rows, key 0 left out) is the source's: the residual's spread alone overstates it where
                # scores are structured rather than random.
                draw = profiles[h][dist[rows]] + alpha[layer, h] * np.interp(
                    rng.uniform(size=t), grid, salience[layer, g]
                )
                unit = rng.standard_normal(draw.shape)
                sub = np.searchsorted(rows, probe)
                lo, hi = 0.0, 2 * sigma[layer, h] + 1.0
                for _ in range(ENTROPY_STEPS):  # entropy falls as the noise grows
                    mid = (lo + hi) / 2
                    lo, hi = (mid, hi) if _entropy((draw + mid * unit)[sub], allowed[probe]) > target[h] else (lo, mid)
                sigma[layer, h] = (lo + hi) / 2
                others = logsumexp(np.where(allowed[rows], draw + sigma[layer, h] * unit, -np.inf), axis=1)
                sink[layer, h] = float((odds[h] + others).mean())
                # Spread: what the drawn keys' own spread of odds leaves of the source's.
                sink_sd[layer, h] = float(np.sqrt(max(odds[h].var() - others.var(), 0.0)))
    ranks = np.array(normal)
    corr = np.corrcoef(ranks) if len(ranks) > 1 else np.ones((1, 1))
    off = corr[~np.eye(len(corr), dtype=bool)]
    rho = float(np.clip(off.mean(), 0.0, 1.0)) if off.size else 1.0
    return Profile(meta, amp, sink, sink_sd, alpha, sigma, salience, rho, k_norm, v_mean, v_std, v_sink)


def _entropy(scores: np.ndarray, allowed: np.ndarray) -> float:
    """Mean entropy of softmax rows over their allowed entries, over log(entries allowed)."""
    s = np.where(allowed, scores, -np.inf)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    ent = -(p * np.log(np.where(p > 0, p, 1))).sum(axis=1)
    return float((ent / np.log(np.maximum(allowed.sum(axis=1), 2))).mean())


def head_stats(trace: Trace, rows: int = 64, tokens: int | None = None) -> pd.DataFrame:
    """Per layer and query head, over ``rows`` prompt queries spread over the second half of the
    first ``tokens`` tokens (default all): mean sink mass (key 0), recent mass (the last ``RECENT``
    keys a query sees), entropy over log(keys seen), and the mean q and k norms."""
    meta = trace.meta
    t = min(meta.prompt_len, tokens or meta.prompt_len)
    at = np.unique(np.linspace(t // 2, t - 1, rows).astype(int))
    out = []
    for layer in range(meta.layers):
        q, k, _ = trace.prefill(layer)
        for h in range(meta.heads):
            kh = k[h // meta.group, :t].astype(np.float32)
            s = q[h, at].astype(np.float32) @ kh.T / np.float32(np.sqrt(meta.head_dim))
            j = np.arange(t)[None, :]
            seen = j <= at[:, None] if meta.causal else np.ones_like(s, bool)
            s = np.where(seen, s, -np.inf)
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            recent = seen & (j > at[:, None] - RECENT) if meta.causal else seen & (j >= t - RECENT)
            ent = -(p * np.log(np.where(p > 0, p, 1))).sum(axis=1) / np.log(seen.sum(axis=1))
            out.append(
                {
                    "layer": layer,
                    "head": h,
                    "sink_mass": p[:, 0].mean(),
                    "recent_mass": (p * recent).sum(axis=1).mean(),
                    "entropy": ent.mean(),
                    "q_norm": np.linalg.norm(q[h, :t].astype(np.float32), axis=-1).mean(),
                    "k_norm": np.linalg.norm(kh[1:], axis=-1).mean(),
                }
            )
    return pd.DataFrame(out)
