"""Regenerate the README's Validation section from ``accelsim validate`` (the full run).

Usage: ``python scripts/update_readme_validation.py`` from the repository root.
"""

from __future__ import annotations

import re
from pathlib import Path

from accelsim.validation import CASES, Runs, run_cases, to_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- validate:begin -->", "<!-- validate:end -->"


def main() -> None:
    text = README.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{README}: markers {BEGIN} / {END} not found")
    table = to_markdown(run_cases(CASES, Runs()))
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: f"{BEGIN}\n{table}{END}", text, flags=re.S)
    README.write_text(new)


if __name__ == "__main__":
    main()
