"""SpAtten's K/V layout in DRAM and the accesses a fetch of kept rows makes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from accelsim.hw.kv_layout import REGIONS, KVLayout, kept_rows

GPT2 = KVLayout(layers=12, heads=12, max_tokens=1024, d=64)  # 8+4-bit keys, 8-bit values


def test_rows_are_contiguous_per_head():
    a = GPT2.row_address("key_msb", 3, 5, np.arange(4))
    assert np.diff(a).tolist() == [64, 64, 64]  # 64 x 8 bit
    assert GPT2.row_bytes("key_lsb") == 32
    nxt = GPT2.row_address("key_msb", 3, 6, np.array([0]))[0]
    assert nxt - a[0] == 1024 * 64


def test_regions_do_not_overlap():
    spans = []
    for r in REGIONS:
        lo = GPT2.region_base(r)
        hi = GPT2.row_address(r, 11, 11, np.array([1023]))[0] + GPT2.row_bytes(r)
        spans.append((lo, hi))
    for (_, hi), (lo, _) in itertools.pairwise(spans):
        assert hi <= lo


def test_accesses_cover_kept_rows_once():
    lay = KVLayout(layers=1, heads=2, max_tokens=16, d=40, value_bits=12)  # 60 B value rows
    acc = lay.accesses("value", 0, 0, np.array([3, 0, 1])) - lay.region_base("value")
    # row 0 is 0..59, row 1 60..119 (they share the access at 32), row 3 180..239
    assert acc.tolist() == [0, 32, 64, 96, 160, 192, 224]


def test_no_lsb_plane():
    lay = KVLayout(layers=1, heads=1, max_tokens=8, d=64, key_lsb_bits=0)
    assert len(lay.accesses("key_lsb", 0, 0, np.arange(8))) == 0


def test_kept_rows_are_seeded_sorted_and_unique():
    a = kept_rows(100, 1024, seed=4)
    assert np.array_equal(a, kept_rows(100, 1024, seed=4))
    assert np.all(np.diff(a) > 0)
    assert len(kept_rows(0, 10, seed=0)) == 0


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"d": 0}, r"^d must be a positive integer, not 0$"),
    ({"align": 48}, r"^align must be a power of two, not 48$"),
])
def test_bad_layout(kwargs, pattern):
    args = {"layers": 1, "heads": 1, "max_tokens": 8, "d": 64, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        KVLayout(**args)


def test_bad_indices():
    with pytest.raises(ValueError, match=r"^token index outside 0\.\.1023$"):
        GPT2.row_address("value", 0, 0, np.array([1024]))
    with pytest.raises(ValueError, match=r"^\(layer, head\) = \(12, 0\) outside 12 x 12$"):
        GPT2.row_address("value", 12, 0, np.array([0]))
    with pytest.raises(ValueError, match=r"^count must be in 0\.\.10, not 11$"):
        kept_rows(11, 10, seed=0)
