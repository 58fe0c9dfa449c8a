"""Streaming top-k: a sorted chain of k comparator slots, one item inserted per cycle.

Every slot compares the incoming item with its own entry in the same cycle; the slots below the
insertion point shift down by one (a systolic insertion sort). After the last item the chain
drains from its head, one item per cycle, largest first. Only ``max_k`` slots exist, so the
engine returns ``min(k, max_k)`` items. Ties: a new item goes below equal entries, so the
earliest index wins, as in the exact top-k.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import numpy as np
from pydantic import Field

from accelsim.topk.base import Selection, TopKEngine, as_batch, exact_topk_mask, register
from accelsim.topk.params import TopKParams

DRAIN_OVERHEAD = 0  # cycles beyond one per emitted item (rtl/topk/streaming.py: none)


class StreamingParams(TopKParams):
    """:class:`TopKParams` plus the number of slots."""

    max_k: int | None = Field(None, ge=1)
    """Slots, the largest k the engine returns (None: ``2**index_width``)."""

    rtl_build: ClassVar[Mapping[str, int | None]] = MappingProxyType({**TopKParams.rtl_build, "max_k": 16})
    """:class:`TopKParams`' and 16 slots (design choice: fits the iCE40 HX8K beside the UART)."""

    @property
    def slots(self) -> int:
        """Slots: ``max_k`` or ``max_n``."""
        return self.max_k if self.max_k is not None else self.max_n


@register
class Streaming(TopKEngine):
    """Insertion into a sorted register chain; input at one item per cycle."""

    name = "streaming"
    rtl = "accelsim.rtl.topk.streaming"
    params_type = StreamingParams
    params: StreamingParams
    plan_fields = ("max_k", "index_width")  # the slots (max_k, else 2**index_width) cap k

    def _k(self, k: np.ndarray) -> np.ndarray:
        return np.minimum(np.asarray(k, dtype=np.int64), self.params.slots)

    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        k = self._k(k)
        n_valid = valid.sum(axis=1)
        return Selection(exact_topk_mask(scores, k), [np.array([m], dtype=np.int32) for m in n_valid])

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        return [np.array([m], dtype=np.int32) for m in np.asarray(n)]

    def input_cycles(self, n: np.ndarray) -> np.ndarray:
        """One item per cycle: ``n``."""
        return np.asarray(n, dtype=np.int64)

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        return np.minimum(self._k(k), np.asarray(n, dtype=np.int64)) + DRAIN_OVERHEAD

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        return np.asarray(n, dtype=np.int64) * self.params.slots
