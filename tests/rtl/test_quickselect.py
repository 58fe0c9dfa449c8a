# amaranth: UnusedElaboratable=no
import numpy as np
import pytest

from accelsim.rtl.topk.quickselect import QuickSelectTopK
from accelsim.topk import TopKParams, get_engine
from tests.rtl.sim import pause_every_fourth, random_pattern, run_jobs

PARAMS = TopKParams(parallelism=4, index_width=5, width=8)


def model(params, scores, k):
    eng = get_engine("quickselect", params)
    sel = eng.select(np.asarray(scores, dtype=float)[None], k, np.random.default_rng(0))
    return np.flatnonzero(sel.mask[0]), int(eng.total_cycles([len(scores)], [k], sel.passes)[0])


class TestConstruction:
    def test_parallelism_power_of_two(self):
        with pytest.raises(ValueError, match=r"^parallelism must be a power of two in RTL, not 3$"):
            QuickSelectTopK(TopKParams(parallelism=3))

    def test_parallelism_within_max_n(self):
        with pytest.raises(ValueError, match=r"^parallelism must not exceed max_n = 2, not 4$"):
            QuickSelectTopK(TopKParams(parallelism=4, index_width=1))

    def test_params_type(self):
        with pytest.raises(TypeError, match=r"^Top-k parameters must be a TopKParams, not 4$"):
            QuickSelectTopK(4)

    def test_signature_from_params(self):
        dut = QuickSelectTopK(PARAMS)
        assert dut.scores.payload.shape().size == 4 * 8
        assert dut.items.payload.shape().size == 4 * 5 + 4 * 8 + 3
        assert dut.n.shape().width == 6

    def test_narrow_input_sets_the_beats(self):
        dut = QuickSelectTopK(TopKParams(parallelism=4, input_parallelism=2, index_width=5, width=8))
        assert dut.scores.payload.shape().size == 2 * 8
        assert dut.items.payload.shape().size == 2 * 5 + 2 * 8 + 2

    def test_input_parallelism_power_of_two(self):
        with pytest.raises(ValueError, match=r"^input_parallelism must be a power of two in RTL"):
            QuickSelectTopK(TopKParams(parallelism=4, input_parallelism=3))


class TestJobs:
    # one simulation plays every job back to back, so state must not leak between jobs
    JOBS = (
        ([10, 20, 30, 40], 2),  # the LFSR's first pivot is the k-th: one pass
        ([5], 1),  # n = 1
        ([9, 3, 7], 3),  # k = n: filter only
        ([4] * 13, 6),  # all equal, n not a multiple of P
        ([2, 1, 2, 0, 2, 1, 2, 2, 1], 3),  # ties around the k-th value
        (list(range(32)), 1),  # maximum n, sorted input, k = 1
        (list(range(31, -1, -1)), 31),
        ([1, 2, 3], 0),  # k = 0: nothing
    )

    def test_items_and_cycles_match_models(self):
        for (scores, k), (items, cycles) in zip(self.JOBS, run_jobs(QuickSelectTopK(PARAMS), self.JOBS), strict=True):
            want, want_cycles = model(PARAMS, scores, k)
            assert items.tolist() == want.tolist(), (scores, k)
            assert cycles == want_cycles, (scores, k)

    def test_random_jobs_with_back_pressure(self):
        rng = np.random.default_rng(1)
        jobs = [(rng.integers(0, 256, n).tolist(), int(rng.integers(1, n + 1))) for n in rng.integers(1, 33, 12)]
        results = run_jobs(QuickSelectTopK(PARAMS), jobs, ready=random_pattern(2), idle=pause_every_fourth)
        for (scores, k), (items, _) in zip(jobs, results, strict=True):
            assert items.tolist() == model(PARAMS, scores, k)[0].tolist()

    @pytest.mark.parametrize(("p", "pin"), [(1, 1), (2, 2), (8, 8), (4, 2), (8, 2), (4, 1)])
    def test_other_parallelism(self, p, pin):
        # pin < p: beats of pin scores fill rows of p (the authors' 8 into 16), the filter reads pin
        params = TopKParams(parallelism=p, input_parallelism=pin, index_width=4, width=6)
        rng = np.random.default_rng(p)
        jobs = [(rng.integers(0, 64, n).tolist(), int(rng.integers(1, n + 1))) for n in (1, 7, 16, 9)]
        for (scores, k), (items, cycles) in zip(jobs, run_jobs(QuickSelectTopK(params), jobs), strict=True):
            assert (items.tolist(), cycles) == (lambda m: (m[0].tolist(), m[1]))(model(params, scores, k))
