"""Phase-2 timing models behind one interface: the event engine, the fast path, the SpAtten authors'
behaviour model, and plug-ins (``accelsim.timers`` entry points, YAML ``plugins:``).

A timing model is one module here with a :class:`Timer` subclass and ``@register``; ``accelsim run
--timing``, ``accelsim.run(timing=)`` and a sweep's ``timing:`` look it up by name.
"""

from accelsim.timers.base import TIMERS, Timed, Timer, get_timer, register

__all__ = ["TIMERS", "Timed", "Timer", "get_timer", "register"]
