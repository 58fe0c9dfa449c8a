"""ZipCache: no row is evicted; the least-attended rows are stored at fewer bits."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.zipcache import ZipCachePolicy, minmax_quant, probe_positions
from accelsim.trace.synthetic import synthetic_trace

TRACE = synthetic_trace(layers=1, heads=2, head_dim=16, prompt_len=40, decode_steps=6, seed=2)


def decode(plan):
    return plan.requests[~plan.requests.prefill].reset_index(drop=True)


def test_every_row_kept_at_mixed_precision():
    r = decode(make_plan(ZipCachePolicy(), TRACE))
    assert (r["keys"] == r["context"]).all() and (r["values"] == r["context"]).all()
    assert r["mass_recall"].to_numpy() == pytest.approx(1.0)
    assert (r["topk_recall"] == 1.0).all()
    assert (r["lo_keys"] == 16).all() and (r["lo_values"] == 16).all()  # 40% of the prompt at 2 bits
    assert (r["key_bits"] == 4).all() and (r["lo_bits"] == 2).all()
    # scales for every compressed row and each class's key channels, plus the extra 8 bits of the
    # generated rows not compressed yet (K and V)
    first = r[r["head"] == 0]  # side bytes are charged once per KV group
    raw = np.arange(1, 7)
    assert first["side_bytes"].tolist() == pytest.approx((40 * 4 + 2 * 16 * 4 + raw * 2 * 16 * 8 / 8).tolist())


def test_refresh_compresses_generated_rows():
    r = decode(make_plan(ZipCachePolicy(refresh=2, lo_ratio=0.5), TRACE, phases="decode"))
    r = r[r["head"] == 0]
    # each batch of 2 generated rows is compressed once complete: one of them to 2 bits
    assert r["lo_keys"].tolist() == [20, 20, 21, 21, 22, 22]
    # one ranking per KV head after the prompt (not planned: decode only) and per completed batch
    plan = make_plan(ZipCachePolicy(refresh=2, lo_ratio=0.5), TRACE, phases="decode")
    assert plan.topk[["n", "k"]].values.tolist() == [[2, 1]] * 4


def test_fewer_bits_more_error():
    errs = [decode(make_plan(ZipCachePolicy(lo_ratio=x), TRACE))["out_err"].mean() for x in (0.0, 0.4, 1.0)]
    # 2-bit rows cost accuracy; the 0 / 0.4 order is not fixed, since splitting the keys into two
    # classes also tightens each class's per-channel ranges
    assert max(errs[0], errs[1]) < errs[2]
    hi8 = decode(make_plan(ZipCachePolicy(hi_bits=8, lo_bits=8), TRACE))["out_err"].mean()
    assert hi8 < errs[0]


def test_lowest_normalized_scores_go_low():
    # The sink (row 0) draws most attention and must stay at 4 bits: compressing it hurts most.
    plan = make_plan(ZipCachePolicy(lo_ratio=0.975), TRACE)  # 39 of 40 rows low: only the top one high
    assert decode(plan)["lo_keys"].iat[0] == 39
    assert decode(plan)["out_err"].mean() < decode(make_plan(ZipCachePolicy(lo_ratio=1.0), TRACE))["out_err"].mean()


def test_minmax_quant_levels():
    x = np.array([[0.0, 1.0, 2.0, 3.0]])
    assert minmax_quant(x, 2, 1, np.ones_like(x, bool)).tolist() == x.tolist()  # 4 levels suffice
    assert np.unique(minmax_quant(np.linspace(0, 1, 50)[None], 2, 1, np.ones((1, 50), bool))).size == 4


def test_probes():
    pos = probe_positions(100, 0.05, np.random.default_rng(0))
    assert len(pos) == 10 and pos[-5:].tolist() == [95, 96, 97, 98, 99] and pos[:5].max() < 95


def test_lo_bits_above_hi_rejected():
    with pytest.raises(ValueError, match=r"lo_bits \(4\) must not exceed hi_bits \(2\)"):
        ZipCachePolicy(hi_bits=2, lo_bits=4)
