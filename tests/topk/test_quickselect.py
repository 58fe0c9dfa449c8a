import numpy as np
import pytest

from accelsim.topk import ENGINES, TopKParams, get_engine
from accelsim.topk.base import exact_topk_mask
from accelsim.topk.quickselect import PASS_OVERHEAD


@pytest.fixture
def qs():
    return get_engine("quickselect", TopKParams(parallelism=16))


RNG = np.random.default_rng(0)


def job_cycles(eng, n, k, passes):
    return int(eng.cycles(np.array([n]), np.array([k]), np.asarray(passes), np.array([0]),
                          np.array([len(passes)]))[0])


class TestSelect:
    def test_pivot_from_lfsr_known_answer(self, qs):
        # first LFSR state 0xACE1: pick = 0xACE1 * 4 >> 16 = 2, the pivot is 30; one item is
        # above it and k = 2 falls on it, so one pass of all 4 items decides
        sel = qs.select(np.array([[10.0, 20.0, 30.0, 40.0]]), 2, RNG)
        assert sel.mask.tolist() == [[False, False, True, True]]
        assert sel.passes[0].tolist() == [4]

    @pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 63, 64, 65, 1000])
    def test_matches_exact_topk(self, qs, n):
        x = np.random.default_rng(n).random((20, n))
        k = np.random.default_rng(n + 1).integers(0, n + 1, 20)
        assert np.array_equal(qs.select(x, k, RNG).mask, exact_topk_mask(x, k))

    def test_ties_and_all_equal(self, qs):
        x = np.array([[3.0, 1.0, 3.0, 3.0, 2.0], [4.0] * 5])
        sel = qs.select(x, 2, RNG)
        assert sel.mask.tolist() == [[True, False, True, False, False],
                                     [True, True, False, False, False]]
        assert [len(p) for p in sel.passes] == [1, 1]  # the pivot group holds the k-th item

    def test_k_equal_n_and_zero_need_no_pass(self, qs):
        x = np.random.default_rng(1).random((2, 8))
        sel = qs.select(x, np.array([8, 0]), RNG)
        assert sel.mask.sum(axis=1).tolist() == [8, 0]
        assert [len(p) for p in sel.passes] == [0, 0]

    def test_nan_items_absent(self, qs):
        x = np.array([[np.nan, 5.0, 1.0, np.nan, 3.0]])
        sel = qs.select(x, 9, RNG)
        assert sel.mask.tolist() == [[False, True, True, False, True]]

    def test_pass_sizes_shrink(self, qs):
        sel = qs.select(np.random.default_rng(2).random((50, 300)), 37, RNG)
        for p in sel.passes:
            assert p[0] == 300 and (np.diff(p) < 0).all()

    def test_deterministic_without_rng(self, qs):
        x = np.random.default_rng(3).random((5, 100))
        a = qs.select(x, 10, np.random.default_rng(0)).passes
        b = qs.select(x, 10, np.random.default_rng(99)).passes
        assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))

    def test_negative_k_refused(self, qs):
        with pytest.raises(ValueError, match=r"^k must be non-negative, not -1$"):
            qs.select(np.zeros((1, 3)), -1, RNG)


class TestCycles:
    def test_known_answer(self, qs):
        # passes of 64 and 20 at P=16: (4+3) + (2+3), then the filter: ceil(64/16) + 1
        assert job_cycles(qs, 64, 5, [64, 20]) == 7 + 5 + 5

    def test_no_pass_is_filter_only(self, qs):
        assert job_cycles(qs, 17, 17, []) == 2 + 1

    def test_k_zero_costs_nothing(self, qs):
        assert job_cycles(qs, 17, 0, []) == 0

    def test_output_stage_is_the_filter_pass(self, qs):
        # the filter pass, ceil(n/P) + 1, is the part of a job that can overlap the next one
        assert qs.output_cycles(np.array([64, 17, 17]), np.array([5, 17, 0])).tolist() == [5, 3, 0]
        assert job_cycles(qs, 64, 5, [64, 20]) - 5 == (4 + 3) + (2 + 3)

    def test_input_and_filter_at_the_input_rate(self):
        # SpAtten's RTL: 8 scores per cycle in and through the filter, passes at 16
        qs8 = get_engine("quickselect", TopKParams(parallelism=16, input_parallelism=8))
        n = np.array([64])
        assert qs8.input_cycles(n).tolist() == [8]
        assert qs8.output_cycles(n, np.array([5])).tolist() == [8 + 1]
        assert job_cycles(qs8, 64, 5, [64, 20]) == (4 + 3) + (2 + 3) + 9
        assert qs8.total_cycles(n, [5], [np.array([64, 20])]).tolist() == [8 + 12 + 9]

    def test_engines_without_an_output_stage(self):
        for name in sorted(set(ENGINES) - {"quickselect"}):  # quick-select is the one with an output stage
            assert get_engine(name).output_cycles(np.array([64, 1]), np.array([8, 1])).tolist() == [0, 0]

    def test_overhead_is_spatten_three(self):
        assert PASS_OVERHEAD == 3

    def test_more_parallelism_is_never_slower(self):
        x = np.random.default_rng(4).random((30, 1024))
        sel = get_engine("quickselect").select(x, 128, RNG)
        cyc = [get_engine("quickselect", TopKParams(parallelism=p)).total_cycles(
            [1024] * 30, [128] * 30, sel.passes).mean() for p in (1, 2, 4, 8, 16, 32)]
        assert (np.diff(cyc) < 0).all()


class TestPassesForShape:
    def test_first_pass_is_n_and_seeded(self, qs):
        a = qs.passes_for_shape(np.array([100, 1, 50]), np.array([10, 1, 50]),
                                np.random.default_rng(5))
        b = qs.passes_for_shape(np.array([100, 1, 50]), np.array([10, 1, 50]),
                                np.random.default_rng(5))
        assert a[0][0] == 100 and len(a[1]) == 0 and len(a[2]) == 0
        assert np.array_equal(a[0], b[0])

    def test_mean_cycles_near_data_driven(self, qs):
        # uniform-rank pivots: the shape-only model and LFSR pivots on random data agree on
        # the mean (SpAtten re-run, P=16, n=1024, k=128: ~209-215 cycles plus the filter)
        n, k = np.full(400, 1024), np.full(400, 128)
        shape = qs.total_cycles(n, k, qs.passes_for_shape(n, k, np.random.default_rng(6)))
        data = qs.total_cycles(n, k, qs.select(np.random.default_rng(7).random((400, 1024)),
                                               128, RNG).passes)
        assert abs(shape.mean() - data.mean()) / data.mean() < 0.1
