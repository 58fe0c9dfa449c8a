"""scripts/installed.py: when scripts/setup.sh may skip pip (the install is this checkout's and current)."""

from __future__ import annotations

import importlib.util
import json
import re
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXTRAS, PIN = "dev", "pytest>=8"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """scripts/installed.py with its stamp in ``tmp_path`` and accelsim's install record pointing at ROOT."""
    spec = importlib.util.spec_from_file_location("installed", ROOT / "scripts" / "installed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STAMP", tmp_path / "build" / "setup.stamp")
    record = json.dumps({"url": ROOT.as_uri(), "dir_info": {"editable": True}})
    dist = type("Dist", (), {"read_text": lambda self, name: record if name == "direct_url.json" else None})
    monkeypatch.setattr(metadata, "distributions", lambda name: [dist()])
    return module


def test_current_after_its_stamp(installed, capsys):
    assert installed.main([EXTRAS, PIN]) == 1
    assert "pyproject.toml or the arguments changed since the last install" in capsys.readouterr().err
    assert installed.main(["--stamp", EXTRAS, PIN]) == 0
    assert installed.main([EXTRAS, PIN]) == 0 and capsys.readouterr().err == ""
    assert installed.main([EXTRAS, "ruff>=0.6"]) == 1  # other arguments than the stamped ones


@pytest.mark.parametrize(
    ("pin", "reason"),
    [("no-such-package>=1", "no-such-package is not installed"), ("pytest<1", r"pytest \S+ does not satisfy pytest<1")],
)
def test_a_missing_or_too_old_requirement_installs(installed, capsys, pin, reason):
    installed.main(["--stamp", EXTRAS, pin])
    assert installed.main([EXTRAS, pin]) == 1
    assert re.search(reason, capsys.readouterr().err)


def test_an_install_from_another_checkout_installs(installed, capsys, monkeypatch):
    installed.main(["--stamp", EXTRAS, PIN])
    monkeypatch.setattr(installed, "ROOT", Path("/elsewhere"))
    monkeypatch.setattr(installed, "fingerprint", lambda args: installed.STAMP.read_text().strip())
    assert installed.main([EXTRAS, PIN]) == 1
    assert f"accelsim is installed from {ROOT.as_uri()}, not editable from file:///elsewhere" in capsys.readouterr().err
