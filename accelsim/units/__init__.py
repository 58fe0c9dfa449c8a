"""Hardware units added as plug-ins, one file each (``accelsim.units`` entry points, YAML ``plugins:``).

A unit is a :class:`Unit` subclass with ``@register``: its ``hw.<name>`` params block, its service
time per work item, its cost and its place in the pipeline. A design has the unit when its hardware
config has the block (``outquant: {}`` for the defaults); the event engine, the fast path and the
cost model take every unit of the design from :func:`stages`.
"""

from accelsim.units.base import PLACES, UNITS, ItemWork, Unit, register, stages

__all__ = ["PLACES", "UNITS", "ItemWork", "Unit", "register", "stages"]
