"""The softmax unit's params, bit-exact model, error bound and cycle model (accelsim.hw.softmax)."""

import numpy as np
import pytest
from pydantic import ValidationError

from accelsim.config import load_hardware
from accelsim.hw.softmax import (
    ERROR_BOUND,
    SoftmaxParams,
    job_cycles,
    measure_error,
    occupancy,
    quantize_logits,
    softmax_fixed,
    stream_cycles,
)
from accelsim.hw.units import softmax_params

P = SoftmaxParams()


class TestParams:
    def test_defaults_are_spattens(self):
        assert (P.parallelism, P.width, P.out_bits, P.max_n) == (8, 12, 12, 1024)

    @pytest.mark.parametrize(
        ("kw", "message"),
        [
            ({"parallelism": 3}, r"parallelism must be a power of two, not 3"),
            ({"frac_bits": 12}, r"frac_bits must be below width = 12, not 12"),
            ({"parallelism": 64, "index_width": 5}, r"parallelism must not exceed max_n = 32, not 64"),
        ],
    )
    def test_rules_are_stated(self, kw, message):
        with pytest.raises(ValidationError, match=message):
            SoftmaxParams(**kw)

    def test_unknown_field_refused(self):
        with pytest.raises(ValidationError, match="lanes"):
            SoftmaxParams(lanes=8)

    def test_equal_and_hashable(self):
        assert SoftmaxParams(parallelism=4) == SoftmaxParams(parallelism=4) != P
        assert len({SoftmaxParams(), SoftmaxParams()}) == 1

    def test_design_derives_row_length_from_fifo(self):
        # SpAtten Sec. IV-C: 8 lanes x a 128-deep FIFO hold a 1024-score row
        assert softmax_params(load_hardware("spatten")) == SoftmaxParams(parallelism=8, index_width=10)
        assert softmax_params(load_hardware("spatten", {"softmax": {"parallelism": 6}})) is None


class TestModel:
    def test_one_score_is_certain(self):
        # p = 1 saturates at the largest Q0.12 code
        assert softmax_fixed(np.array([[100]]), np.array([1]), P).tolist() == [[4095]]

    def test_equal_integer_scores_split_exactly(self):
        # d = 0: e = 2**16 each, sum 2**18, r = 2**29 // 2**18 = 2**11, p = 2**27 >> 17 = 1024 = 1/4
        x = np.full((1, 4), 3 << P.frac_bits)
        assert softmax_fixed(x, np.array([4]), P).tolist() == [[1024] * 4]

    def test_entries_past_n_are_zero(self):
        x = np.arange(16)[None, :] * 50
        out = softmax_fixed(x, np.array([9]), P)
        assert (out[0, 9:] == 0).all() and out[0, :9].sum() > 4000

    def test_logits_saturate(self):
        assert quantize_logits(np.array([1e6, -1e6, 0.0]), P).tolist() == [2047, -2048, 0]

    @pytest.mark.parametrize("rows", [1500, pytest.param(10_000, marks=pytest.mark.slow)])
    def test_error_bound_against_float(self, rows):
        # benchmarks/softmax_error.py, 10,000 rows: 2.16 steps max, 0.13 mean, 1.4 % relative above 2**-6
        err = measure_error(P, rows, np.random.default_rng(rows))
        assert err["max_abs"] <= ERROR_BOUND["max_abs_lsb"] * err["lsb"]
        assert err["mean_abs"] <= ERROR_BOUND["mean_abs_lsb"] * err["lsb"]
        assert err["max_rel"] <= ERROR_BOUND["max_rel"]


class TestCycles:
    def test_one_row(self):
        # load 8 beats, divide in one cycle, emit 8 beats
        assert job_cycles([64], P) == 8 + 1 + 8

    def test_rows_leave_one_per_row_time(self):
        # the division hides behind the next row's load: 8 scores a cycle, as SpAtten's unit
        assert job_cycles([1024] * 3, P) == 128 + 1 + 3 * 128

    def test_one_beat_rows(self):
        assert job_cycles([8] * 4, P) == 1 + 1 + 4

    @pytest.mark.parametrize("n", [1, 7, 8, 9, 64, 1024])
    @pytest.mark.parametrize("rows", [1, 2, 3, 4, 9])
    def test_closed_form_matches_the_schedule(self, n, rows):
        assert stream_cycles(rows, n, P) == job_cycles([n] * rows, P)

    def test_mixed_rows(self):
        # the short rows load and divide while the long row is emitted, then follow it a beat each
        assert job_cycles([1024, 8, 8], P) == 128 + 1 + 128 + 1 + 1

    def test_fourth_row_waits_for_a_buffer(self):
        # rows 2-4 are short: the fourth loads once the first has left (cycle 257, not 130); the output
        # side still sets the end, a beat per short row after the long one
        assert job_cycles([1024, 8, 8, 8], P) == 128 + 1 + 128 + 3

    def test_occupancy_is_the_steady_pace(self):
        assert occupancy(np.array([10, 10]), np.array([1024, 60]), P).tolist() == [1280, 80]
