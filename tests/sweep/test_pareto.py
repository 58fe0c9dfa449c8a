"""Pareto fronts: objectives with directions, the sort-based filter against brute force, and the front
files of a sweep directory (``accelsim pareto`` never overwrites the sweep's own front)."""

import re

import numpy as np
import pandas as pd
import pytest

from accelsim.cli import main
from accelsim.errors import InputError
from accelsim.sim.stats import direction
from accelsim.sweep import pareto_front, parse_objectives, read_results
from accelsim.sweep.pareto import BLOCK, as_objectives, front_stem, nondominated

RECALL = {"cycles": "min", "quality_mass_recall": "max"}


def unwrapped(text: str) -> str:
    """Console output without the line breaks rich inserts at the terminal width (and no spaces)."""
    return "".join(text.split())


def brute_force(v: np.ndarray) -> list[bool]:
    """The definition: no row without a NaN is <= in every column and < in one."""
    rows = [r for r in v if not np.isnan(r).any()]
    return [not np.isnan(r).any() and not any((o <= r).all() and (o < r).any() for o in rows) for r in v]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 3])
def test_nondominated_against_brute_force(k, n):
    rng = np.random.default_rng(1000 * k + n)
    v = rng.integers(0, 4, (n, k)).astype(float)  # few values: many ties and duplicate rows
    if n > 2:
        v[rng.integers(0, n, 2), rng.integers(0, k, 2)] = np.nan
    assert list(nondominated(v)) == brute_force(v)


def test_nondominated_continuous_and_infinite():
    rng = np.random.default_rng(7)
    v = rng.random((3 * BLOCK, 3))
    v[:5] = [[-np.inf, 1, 1], [np.inf, 0, 0], [0.5, -np.inf, 2], [0.5, -np.inf, 2], [2, 2, 2]]
    assert list(nondominated(v)) == brute_force(v)
    assert nondominated(v[:, :2]).tolist() == brute_force(v[:, :2])


@pytest.mark.parametrize(
    ("column", "sense"),
    [
        ("cycles", "min"),
        ("energy_j", "min"),
        ("quality_out_err", "min"),
        ("area_by_qk", "min"),
        ("gops", "max"),
        ("quality_mass_recall", "max"),
        ("quality_topk_recall", "max"),
        ("dram_row_hit_rate", "max"),
    ],
)
def test_default_direction(column, sense):
    assert direction(column) == sense


def test_parse_objectives():
    objs = parse_objectives("cycles, quality_mass_recall,energy_j:max,gops:min")
    assert list(objs.items()) == [
        ("cycles", "min"),
        ("quality_mass_recall", "max"),
        ("energy_j", "max"),
        ("gops", "min"),
    ]
    assert as_objectives(objs) == objs and as_objectives("cycles, quality_mass_recall,energy_j:max,gops:min") == objs
    assert as_objectives(["gops", "cycles"]) == {"gops": "max", "cycles": "min"}


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("cycles:mx", r"^field '--objectives': direction of 'cycles' must be min or max, not 'mx'$"),
        ("cycles,cycles:max", r"^field '--objectives': objective 'cycles' appears twice$"),
        (" , ", r"^field '--objectives': give at least one objective, e\.g\. cycles,energy_j$"),
    ],
)
def test_bad_objectives(text, pattern):
    with pytest.raises(InputError, match=pattern):
        parse_objectives(text)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ({"cycles": "up"}, r"^field '--objectives': direction of 'cycles' must be min or max, not 'up'$"),
        ([], r"^field '--objectives': give at least one objective"),
        (["cycles", "cycles"], r"^field '--objectives': objective 'cycles' appears twice$"),
    ],
)
def test_bad_objectives_from_python(value, pattern):
    with pytest.raises(InputError, match=pattern):
        as_objectives(value)


def test_front_honours_max():
    t = pd.DataFrame(
        {
            "status": "ok",
            "cycles": [1.0, 2, 3, 3],
            "quality_mass_recall": [0.5, 0.9, 0.95, 0.9],
            "point_index": range(4),
        }
    )
    assert list(pareto_front(t, RECALL)["point_index"]) == [0, 1, 2]  # (3, 0.9) is dominated by (2, 0.9)
    assert list(pareto_front(t, {"cycles": "min", "quality_mass_recall": "min"})["point_index"]) == [0]
    # best first: highest recall first when it leads
    assert list(pareto_front(t, {"quality_mass_recall": "max", "cycles": "min"})["point_index"]) == [2, 1, 0]


def test_front_stem():
    assert front_stem(RECALL, RECALL) == "pareto"
    assert front_stem(RECALL, None) == "pareto_cycles-min_quality_mass_recall-max"
    assert (
        front_stem({"cycles": "min", "quality_mass_recall": "min"}, RECALL)
        == "pareto_cycles-min_quality_mass_recall-min"
    )
    assert front_stem(dict(reversed(RECALL.items())), RECALL) == "pareto_quality_mass_recall-max_cycles-min"


def test_pareto_command_keeps_the_sweeps_front(write_sweep, tmp_path, capsys):
    """A sweep that maximises recall: its front has the high-recall points; `accelsim pareto` with the
    sweep's objectives rewrites the same file, with others writes a file named by them."""
    path = write_sweep(axes={"policy.values": [0.1, 0.2, 0.5], "hw.qk.multipliers": [128, 512]}, objectives=RECALL)
    out = tmp_path / "out"
    main(["sweep", str(path), "-o", str(out), "-j", "1"])
    assert "Pareto front (cycles min, quality_mass_recall max)" in capsys.readouterr().out
    table = read_results(out)
    own = pd.read_parquet(out / "pareto.parquet")
    assert own.equals(pareto_front(table, RECALL)) and len(own) >= 2
    assert table["quality_mass_recall"].max() in set(own["quality_mass_recall"])  # maximised, not minimised
    saved = {p.name: p.read_bytes() for p in out.glob("pareto.*")}

    # the sweep's objectives, by default or by bare names (recall defaults to max): the same front
    for args in ([], ["--objectives", "cycles,quality_mass_recall"]):
        main(["pareto", str(out), *args])
        assert f"front:{out / 'pareto.parquet'}" in unwrapped(capsys.readouterr().out)
        assert pd.read_parquet(out / "pareto.parquet").equals(own)

    # other objectives: their own file; the sweep's front stays as the sweep wrote it
    main(["pareto", str(out), "--objectives", "cycles:min,quality_mass_recall:min"])
    printed = unwrapped(capsys.readouterr().out)
    other = out / "pareto_cycles-min_quality_mass_recall-min.parquet"
    assert "Paretofront(cyclesmin,quality_mass_recallmin)" in printed and f"front:{other}" in printed
    low = pd.read_parquet(other)
    assert low.equals(pareto_front(table, {"cycles": "min", "quality_mass_recall": "min"}))
    assert list(low["quality_mass_recall"]) == [table["quality_mass_recall"].min()]
    assert (out / "pareto_cycles-min_quality_mass_recall-min.csv").is_file()
    assert {p.name: p.read_bytes() for p in out.glob("pareto.*")} == saved

    with pytest.raises(SystemExit):
        main(["pareto", str(out), "--objectives", "cycles:fastest"])
    err = capsys.readouterr().err.strip()
    assert re.fullmatch(
        r"accelsim: error: field '--objectives': direction of 'cycles' must be min or max, "
        r"not 'fastest'",
        err,
    ), err
