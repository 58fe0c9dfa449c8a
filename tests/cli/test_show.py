"""``accelsim show``: the printed YAML is the resolved config, and it loads back to the same config."""

import pytest
import yaml

from accelsim.cli import main
from accelsim.config import load_hardware, load_policy, load_roofline, preset_names
from accelsim.hw.dram.spec import load_dram, standards
from accelsim.sweep.spec import load_sweep
from tests.conftest import ROOT

LOADERS = {"hw": load_hardware, "policy": load_policy, "roofline": load_roofline, "dram": load_dram}
CASES = (
    [("hw", n) for n in preset_names("hardware")]
    + [("policy", n) for n in preset_names("policy")]
    + [("roofline", n) for n in preset_names("roofline")]
    + [("dram", n) for n in standards()]
)


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_printed_yaml_loads_back_to_the_same_config(kind, name, capsys, tmp_path):
    main(["show", kind, name])
    text = capsys.readouterr().out
    assert text.startswith(f"# accelsim show {kind} {name}: ")
    assert "extends" not in yaml.safe_load(text)  # the parent is applied
    (tmp_path / "copy.yaml").write_text(text)
    assert LOADERS[kind](tmp_path / "copy.yaml") == LOADERS[kind](name)


def test_defaults_are_filled_in(capsys):
    main(["show", "policy", "h2o"])
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["budget"] is None and data["seed"] == 0  # neither is in h2o.yaml
    main(["show", "hw", "spatten-1-8"])
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["qk"]["multipliers"] == 64 and data["clock_ghz"] == load_hardware("spatten").clock_ghz


def test_sweep(capsys, tmp_path):
    spec = ROOT / "sweeps" / "quickstart.yaml"
    main(["show", "sweep", str(spec)])
    copy = spec.parent / f".show-test-{tmp_path.name}.yaml"  # beside the original: relative paths hold
    try:
        copy.write_text(capsys.readouterr().out)
        shown = load_sweep(copy)
    finally:
        copy.unlink()
    assert shown == load_sweep(spec) and shown.search.population == 16


def test_unknown_name_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["show", "hw", "spaten"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "unknown hardware preset 'spaten'" in err
