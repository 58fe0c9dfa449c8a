"""A decoder of your own, in plain PyTorch, as ``accelsim trace capture --module`` takes it.

Covers: the ``--module PKG.MOD:FACTORY`` protocol (``accelsim.models.factory``): ``make()`` returns
``(model, tokenizer)``; ``model(ids)`` returns ``(logits, cache)``, ``model(ids, cache)`` decodes one token.

Scenario: a two-layer, byte-level decoder with seeded random weights, rotary positions, grouped
KV heads and a KV cache, calling ``F.scaled_dot_product_attention``::

    accelsim trace capture --module examples.own_model.tiny_decoder:make \\
        --text pydoc:assignment --prompt-tokens 64 --decode-steps 8 -o tiny.safetensors
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 256  # one token per UTF-8 byte
WIDTH, HEADS, KV_HEADS, LAYERS = 128, 4, 2, 2  # illustrative sizes, not a published model
ROPE_BASE = 10_000.0  # RoFormer (Su et al. 2021), eq. 15
SEED = 0


class Block(nn.Module):
    """Pre-norm attention and MLP."""

    def __init__(self) -> None:
        super().__init__()
        self.dim = WIDTH // HEADS
        self.norm1, self.norm2 = nn.RMSNorm(WIDTH), nn.RMSNorm(WIDTH)
        self.q = nn.Linear(WIDTH, HEADS * self.dim, bias=False)
        self.kv = nn.Linear(WIDTH, 2 * KV_HEADS * self.dim, bias=False)
        self.o = nn.Linear(WIDTH, WIDTH, bias=False)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(), nn.Linear(4 * WIDTH, WIDTH))

    def rope(self, x: torch.Tensor, start: int) -> torch.Tensor:
        freqs = ROPE_BASE ** -(torch.arange(0, self.dim, 2) / self.dim)
        angle = torch.arange(start, start + x.shape[2])[:, None] * freqs
        x1, x2 = x[..., ::2], x[..., 1::2]
        cos, sin = angle.cos(), angle.sin()
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)

    def forward(self, h: torch.Tensor, past: tuple | None) -> tuple[torch.Tensor, tuple]:
        x = self.norm1(h)
        q = self.q(x).unflatten(-1, (HEADS, self.dim)).transpose(1, 2)
        k, v = self.kv(x).unflatten(-1, (2 * KV_HEADS, self.dim)).transpose(1, 2).chunk(2, dim=1)
        start = past[0].shape[2] if past else 0
        q, k = self.rope(q, start), self.rope(k, start)
        if past:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=past is None, enable_gqa=True)
        h = h + self.o(out.transpose(1, 2).flatten(2))
        return h + self.mlp(self.norm2(h)), (k, v)


class TinyDecoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)

    def forward(self, ids: torch.Tensor, cache: list | None = None) -> tuple[torch.Tensor, list]:
        h, new_cache = self.embed(ids), []
        for i, block in enumerate(self.blocks):
            h, kv = block(h, cache[i] if cache else None)
            new_cache.append(kv)
        return self.head(h), new_cache


def make() -> tuple[nn.Module, Callable[[str], list[int]]]:
    """The model (eval mode) and its tokenizer: UTF-8 bytes."""
    torch.manual_seed(SEED)
    return TinyDecoder().eval(), lambda text: list(text.encode())
