"""SRAM macro costs come from the shipped CACTI table: exact at grid points, interpolated between, per cell type."""

import csv
import itertools

import pytest

from accelsim.errors import InputError
from accelsim.hw.cost.sram import DEFAULT, QUANTITIES, Macro, cell_types, sram_macro, supported_nodes

LINES = (32, 64, 128, 256, 512, 1024, 2048, 4096)
WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
CELLS = ("lstp", "hp")
COST = ("read_pj", "write_pj", "leak_mw", "area_mm2")
"""The quantities that grow with the macro; cycle_ns need not (CACTI picks another organisation)."""


def table_rows():
    with DEFAULT.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def values(m: Macro, quantities=QUANTITIES) -> tuple[float, ...]:
    return tuple(getattr(m, q) for q in quantities)


def test_cell_types():
    assert cell_types() == CELLS
    assert {r["cell"] for r in table_rows()} == set(CELLS)


def test_grid_point_is_the_table_row():
    for row in table_rows()[::7]:
        m = sram_macro(lines=int(row["lines"]), width_bits=int(row["width_bits"]), node_nm=float(row["node_nm"]),
                       cell=row["cell"])
        assert values(m) == tuple(float(row[q]) for q in QUANTITIES)
        assert "table point" in m.source and f"{float(row['node_nm']):g} nm" in m.source
        assert f"itrs-{row['cell']}," in m.source


def test_supported_nodes():
    assert supported_nodes() == (22.0, 90.0)


def test_cell_is_required_and_checked():
    with pytest.raises(TypeError, match="cell"):
        sram_macro(lines=128, width_bits=512, node_nm=40)  # type: ignore[call-arg]
    for bad in ("itrs-lstp", "LSTP", "lop", ""):
        with pytest.raises(ValueError, match=r"unknown SRAM cell type .*'lstp', 'hp'"):
            sram_macro(lines=128, width_bits=512, node_nm=40, cell=bad)


@pytest.mark.parametrize("node", [22, 40, 45, 65, 90])
def test_hp_leaks_more_and_cycles_faster_than_lstp(node):
    for ln, w in itertools.product((*LINES, 16, 100, 8192), (*WIDTHS, 4, 22, 2048)):
        lstp, hp = (sram_macro(lines=ln, width_bits=w, node_nm=node, cell=c) for c in CELLS)
        assert hp.leak_mw > 100 * lstp.leak_mw
        assert hp.cycle_ns < lstp.cycle_ns


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("node", [22, 40, 45, 65])
def test_between_neighbours_and_monotone_in_lines_and_width(node, cell):
    sizes = sorted({*LINES, 48, 100, 200, 300, 700, 1500, 3000})
    widths = sorted({*WIDTHS, 12, 22, 40, 100, 200, 384, 700})
    grid = {(ln, w): values(sram_macro(lines=ln, width_bits=w, node_nm=node, cell=cell), COST)
            for ln in sizes for w in widths}
    ulp = 1 + 1e-12  # exp(log(x)) at an interpolated point may round one ulp above an equal neighbour
    for (ln, w), v in grid.items():
        for q in range(len(COST)):
            if ln < sizes[-1]:
                assert v[q] <= grid[(sizes[sizes.index(ln) + 1], w)][q] * ulp
            if w < widths[-1]:
                assert v[q] <= grid[(ln, widths[widths.index(w) + 1])][q] * ulp
    lo, hi = (values(sram_macro(lines=ln, width_bits=w, node_nm=node, cell=cell), COST)
              for ln, w in ((64, 16), (128, 32)))
    mid = values(sram_macro(lines=100, width_bits=22, node_nm=node, cell=cell), COST)
    assert all(a < m < b for a, m, b in zip(lo, mid, hi, strict=True))


@pytest.mark.parametrize("cell", CELLS)
def test_energy_per_access_grows_with_width_and_cost_with_capacity(cell):
    for node, ln in itertools.product((22, 32, 45, 65, 90), LINES):
        reads = [sram_macro(lines=ln, width_bits=w, node_nm=node, cell=cell).read_pj for w in WIDTHS]
        assert reads == sorted(reads) and reads[0] < reads[-1]
    # same width, twice the lines: more area and more leakage
    for w in WIDTHS:
        macros = [sram_macro(lines=ln, width_bits=w, node_nm=40, cell=cell) for ln in LINES]
        assert all(a.area_mm2 < b.area_mm2 and a.leak_mw < b.leak_mw for a, b in itertools.pairwise(macros))


@pytest.mark.parametrize("cell", CELLS)
def test_40nm_between_32_and_45(cell):
    for ln, w in [(128, 512), (64, 128), (1024, 22), (4096, 1024), (32, 8)]:
        m32, m40, m45 = (values(sram_macro(lines=ln, width_bits=w, node_nm=n, cell=cell)) for n in (32, 40, 45))
        for a, b, c in zip(m32, m40, m45, strict=True):  # cycle_ns included
            assert min(a, c) <= b <= max(a, c)
        assert "interpolated" in sram_macro(lines=ln, width_bits=w, node_nm=40, cell=cell).source


@pytest.mark.parametrize("cell", CELLS)
def test_below_minimum_scales_per_bit(cell):
    m32 = sram_macro(lines=32, width_bits=64, node_nm=45, cell=cell)
    m16 = sram_macro(lines=16, width_bits=64, node_nm=45, cell=cell)
    assert m16.area_mm2 == pytest.approx(m32.area_mm2 / 2) and m16.leak_mw == pytest.approx(m32.leak_mw / 2)
    assert (m16.read_pj, m16.write_pj, m16.cycle_ns) == (m32.read_pj, m32.write_pj, m32.cycle_ns)
    m4 = sram_macro(lines=64, width_bits=4, node_nm=45, cell=cell)
    m8 = sram_macro(lines=64, width_bits=8, node_nm=45, cell=cell)
    assert values(m4, COST) == pytest.approx(tuple(v / 2 for v in values(m8, COST)))
    assert m4.cycle_ns == m8.cycle_ns
    assert "below" in m16.source and "below" in m4.source


@pytest.mark.parametrize("cell", CELLS)
def test_above_maximum_composes_macros(cell):
    one = sram_macro(lines=4096, width_bits=512, node_nm=45, cell=cell)
    deep = sram_macro(lines=8192, width_bits=512, node_nm=45, cell=cell)
    assert (deep.read_pj, deep.write_pj, deep.cycle_ns) == (one.read_pj, one.write_pj, one.cycle_ns)
    assert (deep.area_mm2, deep.leak_mw) == pytest.approx((2 * one.area_mm2, 2 * one.leak_mw))
    half = sram_macro(lines=128, width_bits=1024, node_nm=45, cell=cell)
    wide = sram_macro(lines=128, width_bits=2048, node_nm=45, cell=cell)
    assert values(wide, COST) == pytest.approx(tuple(2 * v for v in values(half, COST)))
    assert wide.cycle_ns == half.cycle_ns
    assert "2 macros" in deep.source and "2 macros" in wide.source


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("node", [16, 21.9, 90.5, 180])
def test_node_outside_cacti_raises(node, cell):
    with pytest.raises(ValueError, match=r"22-90 nm"):
        sram_macro(lines=128, width_bits=512, node_nm=node, cell=cell)


def test_non_positive_size_raises():
    with pytest.raises(ValueError, match="at least 1 line"):
        sram_macro(lines=0, width_bits=8, node_nm=45, cell="lstp")


GOOD_ROW = {"cell": "lstp", "node_nm": "45", "lines": "64", "width_bits": "64", "read_pj": "1.0", "write_pj": "1.5",
            "leak_mw": "0.001", "area_mm2": "0.002", "cycle_ns": "0.5"}


@pytest.mark.parametrize(("change", "column", "message"), [
    ({"area_mm2": None}, "area_mm2", "missing column"),
    ({"cycle_ns": None}, "cycle_ns", "missing column"),
    ({"cell": None}, "cell", "missing column"),
    ({"cell": ""}, "cell", "empty"),
    ({"read_pj": "lots"}, "read_pj", "positive number"),
    ({"leak_mw": "-0.1"}, "leak_mw", "positive number"),
    ({"cycle_ns": "0"}, "cycle_ns", "positive number"),
    ({"lines": "64.5"}, "lines", "not an integer"),
])
def test_malformed_table_names_file_and_column(tmp_path, change, column, message):
    row = {k: v for k, v in {**GOOD_ROW, **change}.items() if v is not None}
    path = tmp_path / "bad.csv"
    path.write_text("# a comment\n" + ",".join(row) + "\n" + ",".join(row.values()) + "\n")
    with pytest.raises(InputError, match=rf"bad\.csv: field '{column}': .*{message}"):
        sram_macro(lines=64, width_bits=64, node_nm=45, cell="lstp", table=path)


def test_cell_types_of_another_table(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(",".join(GOOD_ROW) + "\n" + ",".join({**GOOD_ROW, "cell": "lop"}.values()) + "\n")
    assert cell_types(path) == ("lop",)
    m = sram_macro(lines=64, width_bits=64, node_nm=45, cell="lop", table=path)
    assert (m.read_pj, m.cycle_ns) == (1.0, 0.5) and m.source.startswith("CACTI table one.csv, lop, 45 nm")
    with pytest.raises(ValueError, match=r"the table has 'lop'$"):
        sram_macro(lines=64, width_bits=64, node_nm=45, cell="lstp", table=path)


def test_spatten_kv_buffer_macro_known_answer():
    """128 lines x 512 b at 40 nm, interpolated between CACTI's 32 and 45 nm (350 K).

    Published points for scale: Horowitz, ISSCC 2014 ("Computing's energy problem"), 45 nm: a 64-bit
    read from an 8 KB SRAM costs about 10 pJ, i.e. at most ~80 pJ for 512 bits (per-bit scaling
    overstates a single wide access). TSMC's 40 nm high-density 6T bitcell is 0.242 um^2, so the
    65,536 bits alone take 0.016 mm^2; at CACTI's ~40 % array efficiency that is ~0.04 mm^2.
    """
    m = sram_macro(lines=128, width_bits=512, node_nm=40, cell="lstp")
    assert m.read_pj == pytest.approx(25.95, rel=1e-3)
    assert m.write_pj == pytest.approx(37.80, rel=1e-3)
    assert m.leak_mw == pytest.approx(1.726e-3, rel=1e-3)
    assert m.area_mm2 == pytest.approx(0.03892, rel=1e-3)
    assert m.cycle_ns == pytest.approx(0.9018, rel=1e-3)
    assert 0.01 <= m.area_mm2 <= 0.2 and 5 <= m.read_pj <= 200
    assert m.source == "CACTI 7.0 (hwcomponents-cacti 1.0.40), itrs-lstp, 40 nm, interpolated"
    # itrs-hp: the same macro leaks thousands of times more and cycles 3x faster
    h = sram_macro(lines=128, width_bits=512, node_nm=40, cell="hp")
    assert h.read_pj == pytest.approx(19.01, rel=1e-3)
    assert h.write_pj == pytest.approx(28.51, rel=1e-3)
    assert h.leak_mw == pytest.approx(6.122, rel=1e-3)
    assert h.area_mm2 == pytest.approx(0.03888, rel=1e-3)
    assert h.cycle_ns == pytest.approx(0.2997, rel=1e-3)
    assert 0.01 <= h.area_mm2 <= 0.2 and 5 <= h.read_pj <= 200
    assert h.source == "CACTI 7.0 (hwcomponents-cacti 1.0.40), itrs-hp, 40 nm, interpolated"
