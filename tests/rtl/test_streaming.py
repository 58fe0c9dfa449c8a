# amaranth: UnusedElaboratable=no
import numpy as np
import pytest

from accelsim.rtl.topk.streaming import StreamingTopK
from accelsim.topk import engine_params, get_engine
from tests.rtl.sim import random_pattern, run_jobs

PARAMS = engine_params("streaming", parallelism=4, index_width=5, width=8, max_k=6)


def model(params, scores, k):
    """Indices largest first (earliest index among equals) and cycles."""
    eng = get_engine("streaming", params)
    x = np.asarray(scores, dtype=float)
    sel = eng.select(x[None], k, np.random.default_rng(0))
    idx = np.flatnonzero(sel.mask[0])
    return idx[np.lexsort((idx, -x[idx]))], int(eng.total_cycles([len(x)], [k], sel.passes)[0])


def test_signature_from_params():
    dut = StreamingTopK(PARAMS)
    assert dut.scores.payload.shape().width == 8
    assert dut.items.payload.shape().size == 5 + 8


def test_params_type():
    with pytest.raises(TypeError, match=r"^Top-k parameters must be a TopKParams, not None$"):
        StreamingTopK(None)


JOBS = [
    ([3, 9, 1, 9, 4], 2),  # ties: the earlier 9 first
    ([7], 1),  # n = 1
    ([5] * 10, 4),  # all equal
    (list(range(20)), 9),  # k above the 6 slots: 6 items
    ([1, 2, 3], 3),  # k = n
    ([4, 4, 4], 0),  # k = 0
    (list(range(32, 0, -1)), 6),  # maximum n
]


def test_items_and_cycles_match_models():
    for (scores, k), (items, cycles) in zip(JOBS, run_jobs(StreamingTopK(PARAMS), JOBS), strict=True):
        want, want_cycles = model(PARAMS, scores, k)
        assert items.tolist() == want.tolist(), (scores, k)
        assert cycles == want_cycles, (scores, k)


def test_back_pressure():
    rng = np.random.default_rng(3)
    jobs = [(rng.integers(0, 8, n).tolist(), int(rng.integers(1, 7))) for n in (5, 30, 17)]
    for (scores, k), (items, _) in zip(
        jobs, run_jobs(StreamingTopK(PARAMS), jobs, ready=random_pattern(4)), strict=True
    ):
        assert items.tolist() == model(PARAMS, scores, k)[0].tolist()
