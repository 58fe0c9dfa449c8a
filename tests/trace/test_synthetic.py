import numpy as np

from accelsim.trace.synthetic import synthetic_trace


def attention(q, k):
    s = q.astype(np.float64) @ k.astype(np.float64).T / np.sqrt(q.shape[-1])
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def test_seeded():
    a = synthetic_trace(layers=1, heads=2, prompt_len=16, decode_steps=2, seed=3)
    b = synthetic_trace(layers=1, heads=2, prompt_len=16, decode_steps=2, seed=3)
    c = synthetic_trace(layers=1, heads=2, prompt_len=16, decode_steps=2, seed=4)
    assert all(np.array_equal(a.tensors[n], b.tensors[n]) for n in a.tensors)
    assert not np.array_equal(a.tensors["layers.0.prefill.k"], c.tensors["layers.0.prefill.k"])


def test_sink_and_heavy_tail():
    t = synthetic_trace(layers=2, heads=4, head_dim=32, prompt_len=256, decode_steps=0, seed=0)
    for layer in range(2):
        q, k, _ = t.prefill(layer)
        for h in range(4):
            p = attention(q[h, -1], k[h])
            # the sink draws more than a uniform share by far, and 10% of keys hold most mass
            assert p[0] > 10 / 256
            assert np.sort(p)[::-1][:26].sum() > 0.6
