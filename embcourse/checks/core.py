"""The self-check framework every chapter's exercises use.

A self-check runs the learner's function and a reference solution on the same
named cases and prints, per case, PASS or what was expected, what came back and
the largest difference, then a one-line verdict. In the default *friendly* mode
it never raises, not even when the learner's function is an unfinished stub
that raises ``NotImplementedError``; in *strict* mode (used in the solution
cells, so that nbval proves every reference solution passes) it raises
:class:`CheckFailed` when any case fails.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch


class CheckFailed(AssertionError):
    """Raised by a strict self-check when a case fails."""


@dataclass
class Case:
    """One named input to a self-check.

    By default the function under test is called as ``fn(*args, **kwargs)``.
    Give ``call`` instead for anything more (a backward pass, a shape), as a
    function that receives the function under test and returns what is compared.
    """

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    call: Callable[[Callable], Any] | None = None

    def run(self, fn: Callable) -> Any:
        if self.call is not None:
            return self.call(fn)
        return fn(*copy.deepcopy(self.args), **copy.deepcopy(self.kwargs))


@dataclass
class Report:
    """What a self-check found: the names of the cases that passed and failed."""

    title: str
    passed: list[str]
    failed: list[str]
    implemented: bool = True

    @property
    def ok(self) -> bool:
        return self.implemented and not self.failed

    def __bool__(self) -> bool:
        return self.ok


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        body = f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}"
        if x.numel() <= 12:
            body += f": {x.detach().cpu().tolist()}"
        return body
    if isinstance(x, np.ndarray):
        body = f"array of shape {x.shape}, dtype {x.dtype}"
        return body + (f": {x.tolist()}" if x.size <= 12 else "")
    text = repr(x)
    return text if len(text) <= 120 else text[:117] + "..."


def compare(expected: Any, actual: Any, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """``None`` when ``actual`` matches ``expected``, else a sentence saying how it differs."""
    if isinstance(expected, (torch.Tensor, np.ndarray)):
        exp = torch.as_tensor(expected).detach().cpu()
        if not isinstance(actual, (torch.Tensor, np.ndarray)):
            return f"expected a {_describe(expected)}, got {type(actual).__name__} {_describe(actual)}"
        act = torch.as_tensor(actual).detach().cpu()
        if act.shape != exp.shape:
            return f"expected shape {tuple(exp.shape)}, got shape {tuple(act.shape)}"
        if exp.dtype == torch.bool or act.dtype == torch.bool:
            if act.dtype != exp.dtype:
                return f"expected dtype {exp.dtype}, got dtype {act.dtype}"
            bad = (act != exp).sum().item()
            return None if bad == 0 else f"{bad} of {exp.numel()} entries differ"
        if exp.is_floating_point() != act.is_floating_point():
            return f"expected dtype {exp.dtype}, got dtype {act.dtype}"
        if exp.numel() == 0:
            return None
        e, a = exp.double(), act.double()
        if torch.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
            return None
        diff = (a - e).abs().nan_to_num(nan=math.inf).max().item()
        return f"values differ (largest difference {diff:.3g}); expected {_describe(exp)}, got {_describe(act)}"
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return None if actual == expected and type(actual) is type(expected) else \
            f"expected {_describe(expected)}, got {_describe(actual)}"
    if isinstance(expected, (int, float)):
        if isinstance(actual, (torch.Tensor, np.generic)) and getattr(actual, "ndim", 0) == 0:
            actual = actual.item()
        if not isinstance(actual, (int, float)) or isinstance(actual, bool):
            return f"expected a number {expected!r}, got {_describe(actual)}"
        if math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol):
            return None
        return f"expected {expected!r}, got {actual!r} (difference {abs(actual - expected):.3g})"
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return f"expected {_describe(expected)}, got {_describe(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            why = compare(e, a, rtol, atol)
            if why:
                return f"item {i}: {why}"
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return f"expected keys {sorted(map(str, expected))}, got {_describe(actual)}"
        for k in expected:
            why = compare(expected[k], actual[k], rtol, atol)
            if why:
                return f"key {k!r}: {why}"
        return None
    return None if actual == expected else f"expected {_describe(expected)}, got {_describe(actual)}"


def _outcome(case: Case, fn: Callable) -> tuple[str, Any]:
    """Run one case: ('value', result) or ('error', exception)."""
    try:
        return "value", case.run(fn)
    except NotImplementedError:
        raise
    except Exception as e:  # the learner's bug is reported, not raised
        return "error", e


def run_check(title: str, fn: Callable, reference: Callable, cases: list[Case],
              strict: bool = False, rtol: float = 1e-5, atol: float = 1e-6,
              quiet: bool = False) -> Report:
    """Compare ``fn`` with ``reference`` on every case; print a report; raise only when ``strict``."""
    say = (lambda *a: None) if quiet else print
    passed, failed = [], []
    say(f"Self-check: {title} ({len(cases)} cases)")
    for case in cases:
        kind_exp, expected = _outcome(case, reference)
        try:
            kind, actual = _outcome(case, fn)
        except NotImplementedError:
            say("  not yet implemented: the function still raises NotImplementedError.")
            say("Verdict: not yet implemented. Write the function above, then run this cell again.")
            report = Report(title, passed, [c.name for c in cases], implemented=False)
            if strict:
                raise CheckFailed(f"{title}: not yet implemented")
            return report
        why = _judge(kind_exp, expected, kind, actual, rtol, atol)
        (failed if why else passed).append(case.name)
        say(f"  {'FAIL' if why else 'PASS'}  {case.name}" + (f": {why}" if why else ""))
    if failed:
        say(f"Verdict: {len(passed)} of {len(cases)} cases pass; fix the failing ones and run this cell again.")
    else:
        say(f"Verdict: all {len(cases)} cases pass.")
    if strict and failed:
        raise CheckFailed(f"{title}: failing cases: {', '.join(failed)}")
    return Report(title, passed, failed)


def _judge(kind_exp: str, expected: Any, kind: str, actual: Any, rtol: float, atol: float) -> str | None:
    if kind_exp == "error":
        want = type(expected).__name__
        if kind == "error" and isinstance(actual, type(expected)):
            return None
        got = f"{type(actual).__name__}: {actual}" if kind == "error" else f"no error (returned {_describe(actual)})"
        return f"expected {want} to be raised, got {got}"
    if kind == "error":
        return f"raised {type(actual).__name__}: {actual}; expected {_describe(expected)}"
    return compare(expected, actual, rtol, atol)
