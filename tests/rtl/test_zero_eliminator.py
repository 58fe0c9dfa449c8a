# amaranth: UnusedElaboratable=no
import itertools

import numpy as np
import pytest
from amaranth import unsigned
from amaranth.sim import Simulator

from accelsim.rtl.topk.common import pair_layout
from accelsim.rtl.topk.zero_eliminator import ZeroEliminator
from accelsim.topk import TopKParams


def naive(data, valid):
    """The trivially correct model: keep the valid elements in order."""
    return [d for d, v in zip(data, valid, strict=True) if v]


def run_masks(dut, cases):
    got = []

    async def bench(ctx):
        for data, valid in cases:
            ctx.set(dut.i_data, data)
            ctx.set(dut.i_valid, sum(v << i for i, v in enumerate(valid)))
            await ctx.delay(1e-9)
            count = ctx.get(dut.o_count)
            out = ctx.get(dut.o_data)
            got.append(([out[j] for j in range(count)], ctx.get(dut.o_valid), count))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return got


class TestConstruction:
    @pytest.mark.parametrize("lanes", [0, -1, 2.0, True])
    def test_bad_lanes(self, lanes):
        with pytest.raises(TypeError,
                           match=rf"^Number of lanes must be a positive integer, not {lanes!r}$"):
            ZeroEliminator(unsigned(4), lanes=lanes)

    def test_signature(self):
        ze = ZeroEliminator(unsigned(5), lanes=3)
        assert ze.lanes == 3
        assert ze.i_data.shape().size == 15 and ze.o_count.shape() == unsigned(2)


@pytest.mark.parametrize("lanes", [1, 2, 3, 4])
def test_every_mask_small(lanes):
    # exhaustive: every valid mask, elements numbered so their order shows
    cases = [(list(range(10, 10 + lanes)), list(mask))
             for mask in itertools.product((0, 1), repeat=lanes)]
    for (data, valid), (out, ovalid, count) in zip(cases, run_masks(
            ZeroEliminator(unsigned(8), lanes=lanes), cases), strict=True):
        assert out == naive(data, valid)
        assert ovalid == (1 << count) - 1


@pytest.mark.parametrize("lanes", [8, 15, 16, 17])
def test_random_masks(lanes):
    rng = np.random.default_rng(lanes)
    cases = [(rng.integers(0, 256, lanes).tolist(), rng.integers(0, 2, lanes).tolist())
             for _ in range(60)]
    cases += [([7] * lanes, [1] * lanes), ([7] * lanes, [0] * lanes)]
    for (data, valid), (out, _, _) in zip(cases, run_masks(
            ZeroEliminator(unsigned(8), lanes=lanes), cases), strict=True):
        assert out == naive(data, valid)


def test_struct_elements():
    prm = TopKParams(parallelism=4, index_width=4, width=6)
    ze = ZeroEliminator(pair_layout(prm), lanes=4)
    data = [{"index": i, "score": 40 + i} for i in range(4)]
    (out, _, count), = run_masks(ze, [(data, [0, 1, 0, 1])])
    assert count == 2
    assert [(o.index, o.score) for o in out] == [(1, 41), (3, 43)]
