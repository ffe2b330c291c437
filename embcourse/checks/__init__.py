"""Self-checks for the exercises, one module per chapter (``ch01``, ``ch02``, ...).

Every check takes the learner's function and ``strict`` (default ``False``):
friendly mode prints a report and never raises; strict mode raises
:class:`~embcourse.checks.core.CheckFailed` when any case fails.
"""

from embcourse.checks.core import Case, CheckFailed, Report, compare, run_check

__all__ = ["Case", "CheckFailed", "Report", "compare", "run_check"]
