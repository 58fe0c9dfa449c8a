"""The bank-aware DRAM model: address decoding, row-buffer outcomes, timing, energy, state."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.hw.dram import DramModel, decode, load_dram, replay

HBM = load_dram("hbm2-spatten")  # 32 pseudo-channels, rorabgbachco, 32 B accesses, 1 KB rows
DDR4 = load_dram("ddr4-2400")  # 1 channel, 2 ranks, rochrababgco, 64 B accesses


def row_addr(spec, **fields) -> int:
    """Byte address of the given address fields (others 0)."""
    return sum(v << spec.field_bits[k][0] for k, v in fields.items())


class TestDecode:
    def test_fields_round_trip(self):
        addr = np.array([row_addr(HBM, ch=5, bg=2, ba=3, ro=77, co=9)])
        d = decode(HBM, addr)
        assert (d.channel[0], d.bankgroup[0], d.row[0]) == (5, 2, 77)
        assert d.bank[0] == (5 * 4 + 2) * 4 + 3

    def test_channel_interleave_of_hbm_mapping(self):
        # rorabgbachco: 32 columns x 32 B = 1 KB of a row, then the next pseudo-channel
        d = decode(HBM, np.array([0, 1023, 1024, 32 * 1024]))
        assert d.channel.tolist() == [0, 0, 1, 0]
        assert d.bank.tolist()[3] == 1  # after all channels: next bank


class TestRowBuffer:
    def test_hit_miss_conflict(self):
        a = row_addr(HBM, ro=1)
        b = row_addr(HBM, ro=2)
        m = DramModel(HBM, issue="per-channel")
        # first access misses (bank closed), a second access to the row hits, then a conflict
        r1 = m.simulate(np.array([a, a + 32]), np.array([0, 0]))
        r2 = m.simulate(np.array([b]), np.array([1000]))
        assert r1.outcome.tolist() == [1, 0]
        assert r2.outcome.tolist() == [2]
        s = m.stats()
        assert (s.row_hits, s.row_misses, s.row_conflicts) == (1, 1, 1)

    def test_fr_fcfs_groups_a_rows_hits_inside_the_window(self):
        a, b = row_addr(DDR4, ro=1), row_addr(DDR4, ro=2)
        s = replay(DDR4, np.array([a, b, a + 64, b + 64]), issue="per-channel")
        assert s.row_hits == 2  # a, a+64 then b, b+64


class TestTiming:
    def test_idle_read_latency(self):
        t = HBM.timing
        m = DramModel(HBM, issue="per-channel")
        r = m.simulate(np.array([0]), np.array([100]))
        # arrival, 1 cycle into the command queue, 1 to issue; ACT, tRCD, READ, CL + burst
        assert r.completion[0] == 100 + 2 + t.tRCD + t.CL + HBM.burst_cycles

    def test_row_hits_stream_at_the_bus_rate(self):
        n = 32  # one 1 KB row of one pseudo-channel
        r = replay(HBM, np.arange(n) * 32, issue="per-channel")
        first = 2 + HBM.timing.tRCD + HBM.timing.CL + HBM.burst_cycles
        assert r.cycles == first + (n - 1) * max(HBM.burst_cycles, HBM.timing.tCCD_L)

    def test_same_bank_conflicts_pay_the_row_cycle(self):
        t = DDR4.timing
        rows = np.array([row_addr(DDR4, ro=r) for r in range(1, 9)])
        s = replay(DDR4, rows, issue="per-channel")
        assert s.row_conflicts == 7
        assert s.cycles >= 7 * t.rc

    def test_in_order_issue_is_never_faster(self):
        rng = np.random.default_rng(1)
        addr = rng.integers(0, 1 << 24, 2000) * 32
        fast = replay(HBM, addr, issue="per-channel")
        slow = replay(HBM, addr, issue="in-order")
        assert slow.cycles >= fast.cycles
        assert slow.cycles >= len(addr)  # one request per cycle

    def test_pruning_scatters_rows_and_lowers_the_hit_rate(self):
        rows = np.arange(4096, dtype=np.int64)
        dense = replay(HBM, rows * 32, issue="per-channel")
        kept = np.sort(np.random.default_rng(0).choice(4096, 410, replace=False))
        pruned = replay(HBM, kept * 128, issue="per-channel")  # 128 B token rows, 10% kept
        assert pruned.row_hit_rate < dense.row_hit_rate - 0.2

    def test_refresh_blocks_the_rank(self):
        t = HBM.timing
        m = DramModel(HBM, issue="per-channel")
        r = m.simulate(np.array([0]), np.array([t.tREFI + 1]))
        assert r.issue[0] >= t.tREFI + t.tRFC


class TestOutstandingLimit:
    """At most ``outstanding`` requests per channel (a pseudo-channel pair for HBM2) in flight."""

    def test_one_in_flight_waits_for_each_return(self):
        n = 8  # row hits on one pseudo-channel: each enters when the previous one's data is back
        r = DramModel(HBM, outstanding=1).simulate(np.arange(n) * 32, np.zeros(n, np.int64))
        assert (r.issue[1:] > r.completion[:-1]).all()
        assert (np.diff(r.completion) == 2 + HBM.timing.CL + HBM.burst_cycles).all()

    def test_pseudo_channel_pair_shares_the_limit(self):
        assert HBM.organisation.pseudo_channels == 2
        pair = np.array([row_addr(HBM, ch=0), row_addr(HBM, ch=1)])  # one 128-bit channel
        apart = np.array([row_addr(HBM, ch=0), row_addr(HBM, ch=2)])  # two channels
        shared = DramModel(HBM, outstanding=1).simulate(pair, np.zeros(2, np.int64))
        free = DramModel(HBM, outstanding=1).simulate(apart, np.zeros(2, np.int64))
        assert shared.issue[1] > shared.completion[0]
        assert free.issue[1] == free.issue[0]

    @pytest.mark.parametrize("issue", ["per-channel", "in-order"])
    def test_fewer_in_flight_is_slower(self, issue):
        addr = np.arange(1 << 14) * 32
        cycles = [replay(HBM, addr, issue=issue, outstanding=k).cycles for k in (1, 2, 4, 16)]
        assert cycles == sorted(cycles, reverse=True) and len(set(cycles)) == 4
        assert replay(HBM, addr, issue=issue, outstanding=1 << 10) == replay(HBM, addr, issue=issue)

    def test_limit_carries_across_calls(self):
        m = DramModel(HBM, outstanding=1)
        first = m.simulate(np.array([0]), np.array([0]))
        second = m.simulate(np.array([32]), np.array([0]))
        assert second.issue[0] > first.completion[0]

    def test_bad_limit(self):
        with pytest.raises(ValueError, match="outstanding must be a positive integer or None"):
            DramModel(HBM, outstanding=0)


class TestBandwidthModelDiffers:
    """The bandwidth model (bytes / peak) is right for streams, far off for scattered rows."""

    @staticmethod
    def bandwidth_cycles(spec, n: int) -> float:
        o = spec.organisation
        return n * o.access_bytes / (o.channels * o.access_bytes / spec.burst_cycles)

    def test_streaming_is_close_to_peak(self):
        n = 1 << 16
        s = replay(HBM, np.arange(n) * 32, issue="per-channel")
        assert s.cycles == pytest.approx(self.bandwidth_cycles(HBM, n), rel=0.15)

    def test_random_rows_are_several_times_slower(self):
        n = 1 << 14
        addr = np.random.default_rng(3).integers(0, 1 << 25, n) * 32
        s = replay(HBM, addr, issue="per-channel")
        assert s.cycles > 3 * self.bandwidth_cycles(HBM, n)


class TestState:
    def test_calls_compose(self):
        # a second batch arriving after the first has drained sees the same DRAM (open rows,
        # timers, refresh schedule) as if both had come in one call
        rng = np.random.default_rng(5)
        addr = rng.integers(0, 1 << 22, 1024) * 32
        arr = np.r_[np.sort(rng.integers(0, 3000, 512)), np.sort(rng.integers(9000, 12000, 512))]
        whole = DramModel(HBM)
        a = whole.simulate(addr, arr)
        split = DramModel(HBM)
        first = split.simulate(addr[:512], arr[:512])
        assert first.completion.max() < 9000
        second = split.simulate(addr[512:], arr[512:])
        assert np.array_equal(a.completion, np.r_[first.completion, second.completion])
        assert np.array_equal(a.outcome, np.r_[first.outcome, second.outcome])
        assert whole.stats() == split.stats()

    def test_a_later_batch_queues_behind_an_earlier_one(self):
        m = DramModel(HBM)
        r1 = m.simulate(np.arange(64) * 32, np.zeros(64))
        r2 = m.simulate(np.array([0]), np.array([0]))  # row 0 of channel 0 again, "at cycle 0"
        assert r2.issue[0] > r1.issue.max()
        assert r2.outcome[0] == 0  # the row the first batch opened is still open

    def test_channels_take_requests_in_arrival_order(self):
        rng = np.random.default_rng(9)
        addr = rng.integers(0, 1 << 22, 512) * 32
        arr = rng.permutation(512) * 3  # distinct arrivals, not in trace order
        order = np.argsort(arr)
        shuffled = DramModel(HBM).simulate(addr, arr)
        in_time = DramModel(HBM).simulate(addr[order], arr[order])
        assert np.array_equal(shuffled.completion[order], in_time.completion)

    def test_reset(self):
        m = DramModel(HBM)
        m.simulate(np.arange(64) * 32, np.zeros(64))
        m.reset()
        assert m.stats().requests == 0
        assert m.simulate(np.array([0]), np.array([0])).outcome[0] == 1

    def test_empty_batch(self):
        r = DramModel(HBM).simulate(np.zeros(0, dtype=np.int64))
        assert len(r.completion) == 0


class TestEnergy:
    def test_components(self):
        p, t = DDR4.power, DDR4.timing
        s = replay(DDR4, np.array([0, 64]), issue="per-channel")
        scale = p.VDD * DDR4.organisation.devices_per_rank * t.tCK_ns
        assert s.energy_pj["act"] == pytest.approx((p.IDD0 - p.IDD3N) * t.tRAS * scale)
        assert s.energy_pj["read"] == pytest.approx(
            2 * (p.IDD4R - p.IDD3N) * DDR4.burst_cycles * scale)
        assert s.energy_pj["pre"] == 0
        assert s.energy_pj["background"] > 0
        assert s.energy_j == pytest.approx(sum(s.energy_pj.values()) * 1e-12)

    def test_writes_use_write_current(self):
        s = replay(DDR4, np.array([0, 64]), is_write=np.array([True, False]))
        assert s.energy_pj["write"] > 0


class TestErrors:
    def test_bad_issue_mode(self):
        with pytest.raises(ValueError, match=r"^issue must be one of"):
            DramModel(HBM, issue="sideways")

    def test_negative_address(self):
        with pytest.raises(ValueError, match=r"^addresses must be non-negative$"):
            DramModel(HBM).simulate(np.array([-64]))

    def test_arrival_length(self):
        with pytest.raises(ValueError, match=r"^arrival has 1 entries for 2 addresses$"):
            DramModel(HBM).simulate(np.array([0, 32]), np.array([0]))

    def test_arrival_range(self):
        with pytest.raises(ValueError, match=r"^arrival cycles must be in 0\.\.549755813888$"):
            DramModel(HBM).simulate(np.array([0]), np.array([-1]))

    def test_write_flags_length(self):
        with pytest.raises(ValueError, match=r"^is_write has 2 entries for 1 addresses$"):
            DramModel(HBM).simulate(np.array([0]), is_write=np.array([True, False]))
