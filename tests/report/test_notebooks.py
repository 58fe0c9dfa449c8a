"""The notebooks in notebooks/ run top to bottom (their cells assert what they show)."""

from __future__ import annotations

import importlib.util
import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
HAVE_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "transformers"))


def execute(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def outputs(nb: nbformat.NotebookNode, mime: str) -> list:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if mime in o.get("data", {})]


def stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("name") == "stdout")


def test_quickstart():
    nb = execute("01_quickstart")
    assert re.search(r"^[\d,]+ cycles, [\d,]+ GOP/s, 82\.4 MB from DRAM", stdout(nb), re.M)
    assert re.search(r"^critical path: \w+, busy \d+% of the cycles$", stdout(nb), re.M)
    assert len(outputs(nb, "application/vnd.plotly.v1+json")) == 4


def test_topk_design_space():
    nb = execute("02_topk_design_space")
    assert len(outputs(nb, "application/vnd.plotly.v1+json")) == 2


def test_capture_a_model():
    nb = execute("03_capture_a_model")
    if HAVE_TORCH:
        assert len(outputs(nb, "application/vnd.plotly.v1+json")) == 1
    else:
        assert stdout(nb).startswith("torch / transformers not installed: skipping")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
