"""The report's figures, one module each (``accelsim.figures`` entry points and ``plugins:`` files add more).

A figure is a draw function decorated with :func:`register` (name, title, place in the report): it
takes the results and the report's :class:`~accelsim.report.view.View` and returns a :class:`Panel`
(caption and Plotly figure), or a note saying why the results cannot support it.
"""

from accelsim.report.panels.base import FIGURES, Draw, Figure, Panel, bar_points, config_columns, in_order, register

__all__ = ["FIGURES", "Draw", "Figure", "Panel", "bar_points", "config_columns", "in_order", "register"]
