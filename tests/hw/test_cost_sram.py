"""SRAM macro costs come from the shipped CACTI table: exact at grid points, interpolated between."""

import csv
import itertools

import pytest

from accelsim.errors import InputError
from accelsim.hw.cost.sram import DEFAULT, QUANTITIES, Macro, sram_macro, supported_nodes

LINES = (32, 64, 128, 256, 512, 1024, 2048, 4096)
WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)


def table_rows():
    with DEFAULT.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def values(m: Macro) -> tuple[float, ...]:
    return tuple(getattr(m, q) for q in QUANTITIES)


def test_grid_point_is_the_table_row():
    for row in table_rows()[::7]:
        m = sram_macro(lines=int(row["lines"]), width_bits=int(row["width_bits"]), node_nm=float(row["node_nm"]))
        assert values(m) == tuple(float(row[q]) for q in QUANTITIES)
        assert "table point" in m.source and f"{float(row['node_nm']):g} nm" in m.source


def test_supported_nodes():
    assert supported_nodes() == (22.0, 90.0)


@pytest.mark.parametrize("node", [22, 40, 45, 65])
def test_between_neighbours_and_monotone_in_lines_and_width(node):
    sizes = sorted({*LINES, 48, 100, 200, 300, 700, 1500, 3000})
    widths = sorted({*WIDTHS, 12, 22, 40, 100, 200, 384, 700})
    grid = {(ln, w): values(sram_macro(lines=ln, width_bits=w, node_nm=node)) for ln in sizes for w in widths}
    ulp = 1 + 1e-12  # exp(log(x)) at an interpolated point may round one ulp above an equal neighbour
    for (ln, w), v in grid.items():
        for q in range(4):
            if ln < sizes[-1]:
                assert v[q] <= grid[(sizes[sizes.index(ln) + 1], w)][q] * ulp
            if w < widths[-1]:
                assert v[q] <= grid[(ln, widths[widths.index(w) + 1])][q] * ulp
    lo, hi = values(sram_macro(lines=64, width_bits=16, node_nm=node)), values(
        sram_macro(lines=128, width_bits=32, node_nm=node))
    mid = values(sram_macro(lines=100, width_bits=22, node_nm=node))
    assert all(a < m < b for a, m, b in zip(lo, mid, hi, strict=True))


def test_energy_per_access_grows_with_width_and_cost_with_capacity():
    for node, ln in itertools.product((22, 32, 45, 65, 90), LINES):
        reads = [sram_macro(lines=ln, width_bits=w, node_nm=node).read_pj for w in WIDTHS]
        assert reads == sorted(reads) and reads[0] < reads[-1]
    # same width, twice the lines: more area and more leakage
    for w in WIDTHS:
        macros = [sram_macro(lines=ln, width_bits=w, node_nm=40) for ln in LINES]
        assert all(a.area_mm2 < b.area_mm2 and a.leak_mw < b.leak_mw for a, b in itertools.pairwise(macros))


def test_40nm_between_32_and_45():
    for ln, w in [(128, 512), (64, 128), (1024, 22), (4096, 1024), (32, 8)]:
        m32, m40, m45 = (values(sram_macro(lines=ln, width_bits=w, node_nm=n)) for n in (32, 40, 45))
        for a, b, c in zip(m32, m40, m45, strict=True):
            assert min(a, c) <= b <= max(a, c)
        assert "interpolated" in sram_macro(lines=ln, width_bits=w, node_nm=40).source


def test_below_minimum_scales_per_bit():
    m32 = sram_macro(lines=32, width_bits=64, node_nm=45)
    m16 = sram_macro(lines=16, width_bits=64, node_nm=45)
    assert m16.area_mm2 == pytest.approx(m32.area_mm2 / 2) and m16.leak_mw == pytest.approx(m32.leak_mw / 2)
    assert (m16.read_pj, m16.write_pj) == (m32.read_pj, m32.write_pj)
    m4 = sram_macro(lines=64, width_bits=4, node_nm=45)
    m8 = sram_macro(lines=64, width_bits=8, node_nm=45)
    assert values(m4) == pytest.approx(tuple(v / 2 for v in values(m8)))
    assert "below" in m16.source and "below" in m4.source


def test_above_maximum_composes_macros():
    one = sram_macro(lines=4096, width_bits=512, node_nm=45)
    deep = sram_macro(lines=8192, width_bits=512, node_nm=45)
    assert (deep.read_pj, deep.write_pj) == (one.read_pj, one.write_pj)
    assert (deep.area_mm2, deep.leak_mw) == pytest.approx((2 * one.area_mm2, 2 * one.leak_mw))
    half = sram_macro(lines=128, width_bits=1024, node_nm=45)
    wide = sram_macro(lines=128, width_bits=2048, node_nm=45)
    assert values(wide) == pytest.approx(tuple(2 * v for v in values(half)))
    assert "2 macros" in deep.source and "2 macros" in wide.source


@pytest.mark.parametrize("node", [16, 21.9, 90.5, 180])
def test_node_outside_cacti_raises(node):
    with pytest.raises(ValueError, match=r"22-90 nm"):
        sram_macro(lines=128, width_bits=512, node_nm=node)


def test_non_positive_size_raises():
    with pytest.raises(ValueError, match="at least 1 line"):
        sram_macro(lines=0, width_bits=8, node_nm=45)


GOOD_ROW = {"node_nm": "45", "lines": "64", "width_bits": "64", "read_pj": "1.0", "write_pj": "1.5",
            "leak_mw": "0.001", "area_mm2": "0.002"}


@pytest.mark.parametrize(("change", "column", "message"), [
    ({"area_mm2": None}, "area_mm2", "missing column"),
    ({"read_pj": "lots"}, "read_pj", "positive number"),
    ({"leak_mw": "-0.1"}, "leak_mw", "positive number"),
    ({"lines": "64.5"}, "lines", "not an integer"),
])
def test_malformed_table_names_file_and_column(tmp_path, change, column, message):
    row = {k: v for k, v in {**GOOD_ROW, **change}.items() if v is not None}
    path = tmp_path / "bad.csv"
    path.write_text("# a comment\n" + ",".join(row) + "\n" + ",".join(row.values()) + "\n")
    with pytest.raises(InputError, match=rf"bad\.csv: field '{column}': .*{message}"):
        sram_macro(lines=64, width_bits=64, node_nm=45, table=path)


def test_spatten_kv_buffer_macro_known_answer():
    """128 lines x 512 b at 40 nm, interpolated between CACTI's 32 and 45 nm (itrs-lstp, 350 K).

    Published points for scale: Horowitz, ISSCC 2014 ("Computing's energy problem"), 45 nm: a 64-bit
    read from an 8 KB SRAM costs about 10 pJ, i.e. at most ~80 pJ for 512 bits (per-bit scaling
    overstates a single wide access). TSMC's 40 nm high-density 6T bitcell is 0.242 um^2, so the
    65,536 bits alone take 0.016 mm^2; at CACTI's ~40 % array efficiency that is ~0.04 mm^2.
    """
    m = sram_macro(lines=128, width_bits=512, node_nm=40)
    assert m.read_pj == pytest.approx(25.95, rel=1e-3)
    assert m.write_pj == pytest.approx(37.80, rel=1e-3)
    assert m.leak_mw == pytest.approx(1.726e-3, rel=1e-3)
    assert m.area_mm2 == pytest.approx(0.03892, rel=1e-3)
    assert 0.01 <= m.area_mm2 <= 0.2 and 5 <= m.read_pj <= 200
    assert m.source == "CACTI 7.0 (hwcomponents-cacti 1.0.40), itrs-lstp, 40 nm, interpolated"
