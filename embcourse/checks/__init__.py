"""Self-checks for the exercises, one module per chapter (``ch01``, ``ch02``, ...).

Every check takes the learner's function, ``strict`` (default ``False``) and
``seed`` (of the random cases; a fresh one at every run by default): friendly
mode prints a report and never raises; strict mode raises
:class:`~embcourse.checks.core.CheckFailed` when any case fails. An exercise
stub raises :class:`Unfinished`, which the checks report as "not yet implemented".
"""

from embcourse.checks.core import Case, CheckFailed, Report, Unfinished, call_checked, compare, run_check

__all__ = ["Case", "CheckFailed", "Report", "Unfinished", "call_checked", "compare", "run_check"]
