import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import accelsim.topk
from accelsim.topk import ENGINES, TopKParams, get_engine
from accelsim.topk.base import TopKEngine, ceil_div, exact_topk_mask, lfsr_sequence, segment_sum

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


class TestParams:
    def test_defaults_are_spatten(self):
        p = TopKParams()
        assert (p.parallelism, p.width, p.fifo_depth, p.max_n) == (16, 12, 64, 1024)
        assert p.slots == 1024

    def test_equality_and_repr(self):
        assert TopKParams(parallelism=4) == TopKParams(parallelism=4)
        assert TopKParams(parallelism=4) != TopKParams(parallelism=8)
        assert repr(TopKParams(max_k=3)).startswith("TopKParams(parallelism=16")

    def test_positional_arguments_refused(self):
        with pytest.raises(TypeError):
            TopKParams(4)

    @pytest.mark.parametrize("field", ["parallelism", "width", "index_width", "fifo_depth",
                                       "z_frac_bits"])
    def test_not_positive(self, field):
        with pytest.raises(ValueError, match=rf"^{field} must be a positive integer, not -1$"):
            TopKParams(**{field: -1})

    def test_input_parallelism(self):
        assert TopKParams(parallelism=8).input_parallelism == 8  # default: the comparator width
        assert TopKParams(parallelism=8) == TopKParams(parallelism=8, input_parallelism=8)
        assert TopKParams(parallelism=16, input_parallelism=8).input_parallelism == 8
        with pytest.raises(ValueError, match=r"^input_parallelism must not exceed parallelism = 4, "
                                             r"not 8$"):
            TopKParams(parallelism=4, input_parallelism=8)
        with pytest.raises(ValueError, match=r"^input_parallelism must be a positive integer"):
            TopKParams(input_parallelism=0)

    def test_bool_is_not_an_integer(self):
        with pytest.raises(ValueError, match=r"^parallelism must be a positive integer, not True$"):
            TopKParams(parallelism=True)

    def test_every_reason_reported(self):
        with pytest.raises(ValueError, match=r"^parallelism .*not 0; width .*not 'x'; max_k .*"
                                             r"not 0$"):
            TopKParams(parallelism=0, width="x", max_k=0)

    def test_upper_limits(self):
        with pytest.raises(ValueError, match=r"^pivot_seed must be below 65536, not 65536$"):
            TopKParams(pivot_seed=65536)
        with pytest.raises(ValueError, match=r"^index_width must be at most 24, not 25$"):
            TopKParams(index_width=25)


class TestRegistry:
    def test_all_engines_registered(self):
        # every engine class defined in accelsim.topk's modules is registered under its name
        defined = {cls for info in pkgutil.iter_modules(accelsim.topk.__path__)
                   for _, cls in inspect.getmembers(importlib.import_module(f"accelsim.topk.{info.name}"),
                                                    inspect.isclass)
                   if issubclass(cls, TopKEngine) and cls is not TopKEngine}
        assert defined and all(ENGINES.get(cls.name) is cls for cls in defined)

    def test_unknown_lists_names(self):
        with pytest.raises(KeyError, match="unknown top-k engine 'bogus'; expected one of: "
                                           + re.escape(", ".join(sorted(ENGINES)))):
            get_engine("bogus")

    def test_engine_equality(self):
        assert get_engine("sorter") == get_engine("sorter", TopKParams())
        assert get_engine("sorter") != get_engine("quickselect")


def test_segment_sum():
    vals = np.array([1, 2, 3, 4, 5])
    assert segment_sum(vals, np.array([0, 2, 5]), np.array([2, 3, 0])).tolist() == [3, 12, 0]


def test_ceil_div():
    assert ceil_div(np.array([0, 1, 16, 17]), 16).tolist() == [0, 1, 1, 2]


class TestExactTopK:
    def test_known_answer(self):
        x = np.array([[5.0, 1.0, 9.0, 3.0]])
        assert exact_topk_mask(x, np.array([2])).tolist() == [[True, False, True, False]]

    def test_ties_keep_earliest_index(self):
        x = np.array([[2.0, 7.0, 2.0, 2.0]])
        assert exact_topk_mask(x, np.array([3])).tolist() == [[True, True, True, False]]

    def test_nan_never_selected(self):
        x = np.array([[np.nan, 1.0, 0.5]])
        assert exact_topk_mask(x, np.array([3])).tolist() == [[False, True, True]]


def test_lfsr_known_sequence():
    # Wikipedia, "Linear-feedback shift register", Galois 16-bit example from 0xACE1
    assert lfsr_sequence(0xACE1, 3).tolist() == [0xACE1, 0xE270, 0x7138]


def test_lfsr_maximal_period():
    seq = lfsr_sequence(1, 65536)
    assert len(set(seq[:65535].tolist())) == 65535 and seq[65535] == 1


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_total_cycles_is_input_plus_compute(name):
    eng = get_engine(name, TopKParams(parallelism=4))
    rng = np.random.default_rng(0)
    x = rng.random((3, 10))
    sel = eng.select(x, 3, rng)
    count = np.array([len(p) for p in sel.passes])
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    flat = np.concatenate(sel.passes)
    compute = eng.cycles(np.full(3, 10), np.full(3, 3), flat, start, count)
    assert (eng.total_cycles([10] * 3, [3] * 3, sel.passes)
            == eng.input_cycles(np.full(3, 10)) + compute).all()


# A value of each TopKFields field away from its default, for the plan_fields check below.
CHANGED = {"parallelism": 3, "width": 20, "index_width": 3, "fifo_depth": 2, "max_k": 3,
           "pivot_seed": 0x1234, "z_frac_bits": 1}


def _selection(engine: TopKEngine) -> tuple[np.ndarray, list[list[int]], list[list[int]]]:
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(0, 40, (16, 40)))
    sel = engine.select(scores, 10, np.random.default_rng(1))
    shape = engine.passes_for_shape(np.full(8, 40), np.full(8, 10), np.random.default_rng(2))
    return sel.mask, [p.tolist() for p in sel.passes], [p.tolist() for p in shape]


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_plan_fields_are_what_the_functional_model_reads(name):
    # phase 1 (and a sweep's plan cache) depends on exactly the declared fields: any other field
    # leaves select and passes_for_shape alone, each declared one changes them
    from accelsim.topk.params import TopKFields

    assert set(CHANGED) == set(TopKFields.model_fields)
    cls = ENGINES[name]
    assert set(cls.plan_fields) <= set(CHANGED)
    base = _selection(get_engine(name))
    for field, value in CHANGED.items():
        got = _selection(get_engine(name, TopKParams(**{field: value})))
        same = all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
                   for a, b in zip(got, base, strict=True))
        assert same == (field not in cls.plan_fields), (name, field)
