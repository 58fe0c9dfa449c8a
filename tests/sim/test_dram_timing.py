"""DRAM timing as the SpAtten RTL drives it, in both DRAM models: at most ``dram.outstanding``
requests in flight per channel (RTL: 16), 32-byte transactions, ``dram.channels`` channels."""

import numpy as np
import pytest

from accelsim import api
from accelsim.config import load_hardware
from accelsim.config.hardware import Dram
from accelsim.errors import InputError
from accelsim.hw.dram import load_dram
from accelsim.hw.units import dram_cycles
from accelsim.policies.spatten import DensePolicy
from accelsim.sim.dram_bank import bank_service, dram_spec, fetch_addresses
from accelsim.sim.items import build_items, job_cycles, topk_engine
from accelsim.trace.synthetic import synthetic_trace


@pytest.fixture(scope="module")
def dense_decode():
    # dense decode: every step streams the whole K/V cache, so DRAM bounds the run
    trace = synthetic_trace(layers=4, heads=4, head_dim=64, prompt_len=512, decode_steps=3, seed=2)
    return api.plan(DensePolicy(), trace, phases="decode")


def test_littles_law():
    # a channel sustains at most outstanding x 32 B / latency: 16 x 32 B / 40 ns = 12.8 GB/s
    assert Dram().sustained_gbs == pytest.approx(16 * 12.8)
    assert Dram(outstanding=64).sustained_gbs == Dram().peak_gbs  # 51.2 GB/s > 32: the peak
    assert Dram(latency_ns=0).sustained_gbs == Dram().peak_gbs
    cycles = dram_cycles(np.array([1 << 20]), Dram(), 1.0, 32)[0]
    assert cycles == pytest.approx((1 << 20) / (16 * 12.8))


@pytest.mark.parametrize("model", ["bandwidth", "bank"])
def test_fewer_requests_in_flight_is_slower(dense_decode, model):
    runs = {k: api.simulate(load_hardware("dense", {"dram": {"model": model, "outstanding": k}}),
                            dense_decode)[0] for k in (1, 2, 4, 16)}
    cycles = [runs[k].cycles for k in (1, 2, 4, 16)]
    assert cycles[0] > 1.7 * cycles[1] > 1.7 ** 2 * cycles[2] > cycles[3]
    for r in runs.values():
        assert r.cycles >= r.bandwidth_bound_cycles
        assert r.dram_bytes == runs[16].dram_bytes
    if model == "bandwidth":  # on the DRAM roof: bytes at min(32, k x 32 / 40) GB/s per channel
        for k, r in runs.items():
            per_channel = min(32.0, k * 32 / 40)
            assert r.busy_by["dram"] == pytest.approx(r.bandwidth_bound_cycles * 32 / per_channel)


def test_transactions_are_32_bytes_in_both_models(dense_decode):
    hw = load_hardware("spatten")
    assert hw.dram.transaction_bytes == 32  # SpAtten RTL MatrixFetcher.scala: transactionLength
    assert dram_spec(hw).organisation.access_bytes == 32  # hbm2-spatten: 64 bit x BL4
    # the bandwidth model rounds each fetch up to whole 32 B transactions
    assert dram_cycles(np.array([1.0, 32.0, 33.0]), hw.dram, 1.0, 32).tolist() == \
        pytest.approx([x * 32 / hw.dram.sustained_gbs for x in (1, 1, 2)])
    # the bank model reads 32 B accesses at 32 B-aligned addresses: the fetches' bytes, 32 B at a time
    bank = load_hardware("dense", {"dram": {"model": "bank"}})
    items = build_items(dense_decode, bank, job_cycles(dense_decode, topk_engine(bank), 2))
    addr, _, _ = fetch_addresses(dense_decode, items, 32)
    assert (addr % 32 == 0).all()
    _, stats = bank_service(dense_decode, items, bank)
    assert stats.requests == len(addr) and stats.bytes == 32 * len(addr)
    assert stats.bytes == items[["k_bytes", "lsb_bytes", "v_bytes"]].to_numpy().sum()


@pytest.mark.parametrize("model", ["bandwidth", "bank"])
def test_channels_set_cycles_and_bound(dense_decode, model):
    runs = {c: api.simulate(load_hardware("dense", {"dram": {"model": model, "channels": c}}),
                            dense_decode)[0] for c in (2, 16)}
    assert runs[2].cycles > 4 * runs[16].cycles
    for c, r in runs.items():  # the bound is the peak of the channels that ran: 2 x 16 GB/s each
        assert r.bandwidth_bound_cycles == pytest.approx(r.dram_bytes / (c * 32.0))
        assert r.cycles >= r.bandwidth_bound_cycles


def test_bank_channels_follow_the_standard(dense_decode):
    # two DDR4-2400 channels at the standard's rate, not channel_gbs
    hw = load_hardware("dense", {"dram": {"model": "bank", "preset": "ddr4-2400", "channels": 2}})
    spec = dram_spec(hw)
    assert spec.organisation.channels == 2
    assert spec.peak_gbs == pytest.approx(2 * load_dram("ddr4-2400").peak_gbs)
    r = api.simulate(hw, dense_decode)[0]
    assert r.bandwidth_bound_cycles == pytest.approx(r.dram_bytes / spec.peak_gbs)  # at 1 GHz
    with pytest.raises(InputError, match=r"'hardware\.dram\.channels': .* a power of two, not 6"):
        api.simulate(load_hardware("dense", {"dram": {"model": "bank", "channels": 6}}), dense_decode)
