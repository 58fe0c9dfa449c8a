"""The distribution ships every package: pyproject lists packages explicitly (rtl/ and models/ are
mapped into accelsim), so a new sub-package must be added there or a wheel install lacks it."""

import tomllib

from tests.conftest import ROOT


def test_every_package_is_listed():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "accelsim").rglob("__init__.py")}
    mapped = {f"accelsim.{name}" for name in ("rtl", "models")}
    assert found - listed == set()
    assert mapped <= listed and all(cfg["package-dir"][m] for m in mapped)
