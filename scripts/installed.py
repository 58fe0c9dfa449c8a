"""Whether scripts/setup.sh may skip pip: exit 0 when accelsim is installed editable from this checkout,
from today's pyproject.toml (the hash setup.sh stamped after its last install), and every requirement of
the extras and pins given is installed at a version it allows; else exit 1, saying why on stderr.

``python scripts/installed.py EXTRAS [PIN ...]`` checks; ``--stamp EXTRAS [PIN ...]`` records a finished
install (``build/setup.stamp``, ignored by git).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP = ROOT / "build" / "setup.stamp"


def fingerprint(args: list[str]) -> str:
    """pyproject.toml, the interpreter and the arguments: what the install was made from."""
    blob = (ROOT / "pyproject.toml").read_bytes() + "\0".join([sys.executable, *args]).encode()
    return hashlib.sha256(blob).hexdigest()


def why_not(extras: list[str], pins: list[str]) -> str | None:
    """None when the install is current, else the first reason it is not."""
    from packaging.requirements import Requirement

    if not STAMP.is_file() or STAMP.read_text().strip() != fingerprint([",".join(extras), *pins]):
        return "pyproject.toml or the arguments changed since the last install"
    # the pip-installed copy (a checkout on PYTHONPATH may hold an accelsim.egg-info, which has no record)
    urls = [d.read_text("direct_url.json") for d in metadata.distributions(name="accelsim")]
    url = json.loads(next((u for u in urls if u), "{}"))
    if url.get("url") != ROOT.as_uri() or not url.get("dir_info", {}).get("editable"):
        return f"accelsim is installed from {url.get('url')}, not editable from {ROOT.as_uri()}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *(r for e in extras for r in project["optional-dependencies"][e]), *pins]
    for req in map(Requirement, wanted):
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return f"{req.name} is not installed"
        if not req.specifier.contains(have, prereleases=True):
            return f"{req.name} {have} does not satisfy {req}"
    return None


def main(argv: list[str]) -> int:
    stamp = argv[:1] == ["--stamp"]
    args = argv[1:] if stamp else argv
    extras, pins = [e for e in args[0].split(",") if e] if args else [], args[1:]
    if stamp:
        STAMP.parent.mkdir(exist_ok=True)
        STAMP.write_text(fingerprint([",".join(extras), *pins]) + "\n")
        return 0
    try:
        reason = why_not(extras, pins)
    except Exception as err:  # no packaging, no accelsim, a damaged install: install afresh
        reason = f"{type(err).__name__}: {err}"
    if reason:
        print(f"setup: installing ({reason})", file=sys.stderr)
    return 1 if reason else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
