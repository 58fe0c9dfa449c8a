# amaranth: UnusedElaboratable=no
import numpy as np
import pytest

from accelsim.rtl.topk.statistical import StatisticalTopK
from accelsim.topk import TopKParams, engine_params, get_engine
from tests.rtl.sim import pause_every_fourth, random_pattern, run_jobs

PARAMS = TopKParams(parallelism=4, index_width=5, width=8)


def model(params, scores, k):
    eng = get_engine("statistical", params)
    sel = eng.select(np.asarray(scores, dtype=float)[None], k, np.random.default_rng(0))
    return np.flatnonzero(sel.mask[0]), int(eng.total_cycles([len(scores)], [k], sel.passes)[0])


def test_signature_from_params():
    dut = StatisticalTopK(engine_params("statistical", parallelism=4, index_width=5, width=8, z_frac_bits=6))
    assert dut.z.shape().width == 4 + 6 and dut.z.shape().signed


def test_parallelism_power_of_two():
    with pytest.raises(ValueError, match=r"^parallelism must be a power of two in RTL, not 6$"):
        StatisticalTopK(TopKParams(parallelism=6))


def test_beats_are_parallelism_wide():
    with pytest.raises(
        ValueError,
        match=r"^input_parallelism must equal parallelism = 4 in this "
        r"engine's RTL, not 2$",
    ):
        StatisticalTopK(TopKParams(parallelism=4, input_parallelism=2))


JOBS = [
    ([0, 10, 20, 30, 40], 2),  # the worked example of tests/topk/test_statistical.py
    ([200], 1),  # n = 1: std 0, nothing exceeds the mean
    ([6] * 11, 5),  # all equal: nothing
    ([1, 2, 3, 4, 5, 6, 7], 7),  # k = n: z clipped to -8
    ([255, 0] * 16, 1),  # maximum n, two values
    ([9, 8, 7], 0),  # k = 0
]


def test_items_and_cycles_match_models():
    for (scores, k), (items, cycles) in zip(JOBS, run_jobs(StatisticalTopK(PARAMS), JOBS), strict=True):
        want, want_cycles = model(PARAMS, scores, k)
        assert items.tolist() == want.tolist(), (scores, k)
        assert cycles == want_cycles, (scores, k)


def test_random_jobs_with_flow_control():
    rng = np.random.default_rng(5)
    jobs = [(rng.integers(0, 256, n).tolist(), int(rng.integers(1, n + 1))) for n in rng.integers(1, 33, 8)]
    results = run_jobs(StatisticalTopK(PARAMS), jobs, ready=random_pattern(6), idle=pause_every_fourth)
    for (scores, k), (items, _) in zip(jobs, results, strict=True):
        assert items.tolist() == model(PARAMS, scores, k)[0].tolist()
