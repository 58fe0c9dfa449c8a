"""Plotly energy/latency reports of results tables, as one self-contained HTML file."""

from accelsim import facade
from accelsim.report.html import render, sections, write_report
from accelsim.report.results import Results, load_results, results_from_table, run_row, write_run

__all__ = ["Results", "load_results", "render", "results_from_table", "run_row", "sections", "write_report",
           "write_run"]

facade.callable_package(__name__, facade.report)
