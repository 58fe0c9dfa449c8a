"""``accelsim validate``: the SpAtten paper's numbers next to accelsim's, row by row."""

from accelsim.validation.cases import CASES, Runs
from accelsim.validation.rows import Row, run_cases, to_markdown

__all__ = ["CASES", "Row", "Runs", "run_cases", "to_markdown"]
