"""The self-check framework every chapter's exercises use.

A self-check runs the learner's function and a reference solution on the same
named cases and prints, per case, PASS or what was expected and what came back,
then a one-line verdict. Besides the fixed cases, a check draws a few random
cases from a seed that changes at every run, so that only a function that
computes the answer passes them (a table of printed answers does not).

Only an exercise stub counts as unfinished: it raises :class:`Unfinished`, and
the check then says "not yet implemented". Any other exception, torch's own
``NotImplementedError`` included, fails its case and the other cases still run.
A case also fails when the function changes its input, returns a subclass of
``torch.Tensor``, replaces a torch comparison function, or runs longer than
:data:`TIME_LIMIT` seconds. The default *friendly* mode never raises; *strict*
mode (used in the solution cells, so that nbval proves every reference solution
passes) raises :class:`CheckFailed` when any case fails.
"""

from __future__ import annotations

import copy
import ctypes
import inspect
import math
import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from embcourse.checks.feedback import (_describe, _equal, _isnan, _num, _plain, compare,
                                       dtype_only, dtype_hint)

TIME_LIMIT = 5.0
"""Seconds one case of the learner's function may run before it fails as a probable infinite loop.

The limit is enforced with SIGALRM on Unix in the main thread (where a notebook
kernel runs its cells, and pytest its tests); elsewhere the case runs in a
worker thread, which cannot be killed: a loop of Python code is stopped, but a
long torch operation finishes in the background before it stops.
"""

RANDOM_CASES = 4
"""How many random cases a check draws beside its fixed ones."""

# Attributes a learner's function must leave alone; they are put back after every call.
_GUARDED = [(torch, "allclose"), (torch, "isclose"), (torch, "equal"), (torch.Tensor, "allclose"),
            (torch.Tensor, "equal"), (torch.Tensor, "__eq__"), (math, "isclose"), (np, "allclose")]


class CheckFailed(AssertionError):
    """Raised by a strict self-check when a case fails."""


class Unfinished(Exception):
    """The marker of an exercise stub: ``raise Unfinished("write one_hot above")``, or just ``raise Unfinished``.

    Only this exception makes a self-check report "not yet implemented".
    """

    def __init__(self, what: str = "") -> None:
        super().__init__(what)
        self.what = what

    def __str__(self) -> str:
        return self.what or "not yet implemented"


class InputChanged(Exception):
    """The learner's function changed one of its inputs (reported as a failed case)."""


class _TookTooLong(BaseException):
    """Raised inside a call that ran past its time limit (a BaseException, so `except Exception` cannot swallow it)."""


# ---------------------------------------------------------------- calling the learner's function

def _change(before: Any, after: Any, depth: int = 0) -> str | None:
    """How ``after`` differs from its earlier deep copy ``before``, or ``None``."""
    if depth > 6:
        return None
    if isinstance(before, torch.Tensor):
        if not isinstance(after, torch.Tensor) or not _plain(after):
            return "it was replaced"
        if after.shape != before.shape:
            return f"its shape changed from {tuple(before.shape)} to {tuple(after.shape)}"
        if after.dtype != before.dtype:
            return f"its dtype changed from {before.dtype} to {after.dtype}"
        b, a = before.detach().cpu(), after.detach().cpu()
        if b.is_floating_point() and not _equal(_isnan(b), _isnan(a)):
            return "some of its values changed (to or from nan)"
        same = _equal(b.nan_to_num(0.0), a.nan_to_num(0.0)) if b.is_floating_point() else _equal(b, a)
        if same:
            return None
        count = int((b != a).sum()) if b.numel() else 0
        return f"{count} of its {b.numel()} values changed"
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and before.shape == after.shape and \
            np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        return None if same else "its values changed"
    if isinstance(before, (list, tuple)):
        if len(after) != len(before):
            return f"its length changed from {len(before)} to {len(after)}"
        for i, (b, a) in enumerate(zip(before, after)):
            if (why := _change(b, a, depth + 1)):
                return f"item {i}: {why}"
        return None
    if isinstance(before, dict):
        if list(before) != list(after):
            return "its keys changed"
        for k in before:
            if (why := _change(before[k], after[k], depth + 1)):
                return f"key {k!r}: {why}"
        return None
    if isinstance(before, (str, bytes, int, float, bool, type(None))):
        return None if before == after else "it changed"
    if inspect.isroutine(before) or inspect.ismodule(before) or inspect.isclass(before):
        return None  # deep copies share these
    if hasattr(before, "__dict__") and hasattr(after, "__dict__"):
        for k, b in vars(before).items():
            if (why := _change(b, vars(after).get(k), depth + 1)):
                return f"its {k}: {why}"
    return None


def _arg_name(fn: Callable, i: int) -> str:
    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return f"`{names[i]}`" if i < len(names) else f"argument {i + 1}"
    except (TypeError, ValueError):
        return f"argument {i + 1}"


def _raise_if_changed(fn: Callable, before: tuple, after: tuple) -> None:
    (b_args, b_kwargs), (a_args, a_kwargs) = before, after
    for i, (b, a) in enumerate(zip(b_args, a_args)):
        if (why := _change(b, a)):
            raise InputChanged(f"changes its input {_arg_name(fn, i)}: {why}")
    for k in b_kwargs:
        if (why := _change(b_kwargs[k], a_kwargs[k])):
            raise InputChanged(f"changes its input `{k}`: {why}")


def call_checked(fn: Callable, args: tuple = (), kwargs: dict | None = None, on_copies: bool = True) -> Any:
    """``fn(*args, **kwargs)``; raises :class:`InputChanged` when the call changes an input.

    By default ``fn`` gets deep copies, so the caller's objects (a module-level
    table, say) stay pristine whatever ``fn`` does. With ``on_copies=False`` it
    gets the originals (needed when a gradient must reach them) and they are
    compared with a snapshot taken before the call.
    """
    kwargs = kwargs or {}
    before = copy.deepcopy((args, kwargs))
    work = copy.deepcopy((args, kwargs)) if on_copies else (args, kwargs)
    try:
        out = fn(*work[0], **work[1])
    except Exception:
        _raise_if_changed(fn, before, work)
        raise
    _raise_if_changed(fn, before, work)
    return out


def _alarm_usable() -> bool:
    """SIGALRM works only on Unix, in the main thread, and when no other timer (pytest-timeout's, say) is running."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread() \
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0


def _with_alarm(thunk: Callable[[], Any], seconds: float) -> Any:
    def on_alarm(signum, frame):
        raise _TookTooLong()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return thunk()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _with_thread(thunk: Callable[[], Any], seconds: float) -> Any:
    """Run ``thunk`` in a daemon thread; past the limit, ask it to stop and give up on it.

    A thread cannot be killed: an exception is sent to it, which stops a loop of
    Python code at once but waits for a long torch operation to return.
    """
    box: dict[str, Any] = {}
    grad = torch.is_grad_enabled()

    def target() -> None:
        try:
            with torch.set_grad_enabled(grad):
                box["value"] = thunk()
        except BaseException as e:  # noqa: BLE001 -- carried back to the caller's thread
            box["error"] = e

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        try:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_TookTooLong))
        except (AttributeError, ValueError):
            pass
        worker.join(0.5)
        raise _TookTooLong()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def call_with_time_limit(thunk: Callable[[], Any], seconds: float | None, use_thread: bool = False) -> Any:
    """``thunk()``, stopped with ``_TookTooLong`` after ``seconds``.

    Uses SIGALRM where it can (Unix, main thread: a notebook kernel's cells and
    pytest both run there), else a worker thread.
    """
    if not seconds or seconds <= 0:
        return thunk()
    if not use_thread and _alarm_usable():
        return _with_alarm(thunk, seconds)
    return _with_thread(thunk, seconds)


class TorchCalls(TorchFunctionMode):
    """Inside ``with TorchCalls() as calls:``, ``calls.seen`` lists ``(function, args, kwargs)`` of every torch call.

    Checks use it where a statement forbids a shortcut (indexing instead of
    ``torch.index_select``, ``ignore_index`` instead of a mask).
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[Callable, tuple, dict]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.seen.append((func, args, kwargs or {}))
        return func(*args, **(kwargs or {}))


@dataclass
class Case:
    """One named input to a self-check.

    By default the function under test is called as ``fn(*args, **kwargs)``, on
    deep copies of the inputs, and fails the case if it changes them. Give
    ``call`` instead for anything more (a backward pass, a shape), as a function
    that receives the function under test and returns what is compared; use
    :func:`call_checked` inside it to catch changed inputs. ``exact`` (default:
    the check's) demands the exact types and dtypes; ``mentions`` is a word the
    message of an expected error must contain.
    """

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    call: Callable[[Callable], Any] | None = None
    exact: bool | None = None
    mentions: str | None = None
    detail: str = ""  # what a random case drew: printed only when it fails, so a passing report never changes
    group: str = ""  # e.g. "core cases (values and shape)": a check with groups reports each apart

    def run(self, fn: Callable) -> Any:
        if self.call is not None:
            return self.call(fn)
        return call_checked(fn, self.args, self.kwargs)


@dataclass
class Report:
    """What a self-check found: the names of the cases that passed and failed, and the seed of the random ones."""

    title: str
    passed: list[str]
    failed: list[str]
    implemented: bool = True
    seed: int | None = None
    reasons: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (passed, total)

    @property
    def ok(self) -> bool:
        return self.implemented and not self.failed

    def __bool__(self) -> bool:
        return self.ok


def _guard_snapshot() -> list[tuple[Any, str, bool, Any]]:
    return [(obj, name, name in vars(obj), getattr(obj, name, None)) for obj, name in _GUARDED]


def _guard_restore(snapshot: list) -> list[str]:
    """Put back every guarded attribute a call replaced; the names of those it replaced."""
    replaced = []
    for obj, name, own, value in snapshot:
        if getattr(obj, name, None) is not value:
            replaced.append(f"{getattr(obj, '__name__', obj)}.{name}")
            if own:
                setattr(obj, name, value)
            else:
                try:
                    delattr(obj, name)
                except (AttributeError, TypeError):
                    setattr(obj, name, value)
    return replaced


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    text = text[0] if text else ""
    return text if len(text) <= 200 else text[:197] + "..."


def _outcome(case: Case, fn: Callable, time_limit: float | None = None) -> tuple[str, Any]:
    """Run one case: ('value', result), ('error', exception), ('fail', reason) or ('unfinished', Unfinished)."""
    snapshot = _guard_snapshot()
    try:
        result: tuple[str, Any] = ("value", call_with_time_limit(lambda: case.run(fn), time_limit))
    except Unfinished as e:
        result = ("unfinished", e)
    except _TookTooLong:
        result = ("fail", f"took longer than {_num(float(time_limit))} s (an infinite loop?)")
    except InputChanged as e:
        result = ("fail", str(e))
    except Exception as e:  # the learner's bug is reported, not raised
        result = ("error", e)
    finally:
        replaced = _guard_restore(snapshot)
    if replaced:
        return "fail", f"replaces {', '.join(replaced)} (now put back); a function must leave torch alone"
    return result


def _judge(case: Case, kind_exp: str, expected: Any, kind: str, actual: Any,
           rtol: float, atol: float, exact: bool) -> str | None:
    if kind == "fail":
        return actual
    if kind_exp == "error":
        want = type(expected).__name__
        if kind == "error" and isinstance(actual, type(expected)):
            if case.mentions and case.mentions not in str(actual):
                return f"raised {want}, but its message does not name {case.mentions!r}: {_first_line(actual)}"
            return None
        got = f"{type(actual).__name__}: {_first_line(actual)}" if kind == "error" else \
            f"no error (returned {_describe(actual)})"
        return f"expected {want} to be raised, got {got}"
    if kind == "error":
        return f"raised {type(actual).__name__}: {_first_line(actual)}; expected {_describe(expected)}"
    return compare(expected, actual, rtol, atol, exact if case.exact is None else case.exact)


def fresh_seed() -> int:
    """A seed that changes at every run (from the operating system), short enough to type back."""
    return int.from_bytes(os.urandom(4), "little") % 1_000_000


def _draw(random_cases: Callable[[torch.Generator], list[Case]] | None, seed: int) -> list[Case]:
    """The random cases drawn from ``seed``, named "random case 1", "random case 2", ... (what they drew in ``detail``)."""
    drawn = random_cases(torch.Generator().manual_seed(seed)) if random_cases else []
    for i, case in enumerate(drawn):
        case.name, case.detail = f"random case {i + 1}", case.name
    return drawn


def _not_yet(title: str, stub: Unfinished, names: list[str], seed: int, strict: bool, say: Callable) -> Report:
    say("  not yet implemented: the function still raises Unfinished" + (f" ({stub.what})." if stub.what else "."))
    say("Verdict: not yet implemented. Write the function above, then run this cell again.")
    if strict:
        raise CheckFailed(f"{title}: not yet implemented")
    return Report(title, [], names, implemented=False, seed=seed)


DTYPE_ITEM = "the result's dtype"
"""The name under which a check with ``dtype_apart=True`` reports a result of the wrong dtype."""


def _grouped(every: list[Case]) -> list[Case]:
    """The cases ordered by group, groups in order of first appearance (a stable sort)."""
    order = list(dict.fromkeys(c.group for c in every))
    return sorted(every, key=lambda c: order.index(c.group))


def _dtype_reason(misses: list[tuple[str, Any, Any]], total: int) -> str:
    """One sentence for the cases whose values and shape were right but whose dtype was not."""
    got = " or ".join(sorted({str(g) for _, g, _ in misses}))
    want = " or ".join(sorted({str(w) for _, _, w in misses}))
    names = "; ".join(n for n, _, _ in misses[:3]) + ("; ..." if len(misses) > 3 else "")
    return (f"values right, dtype {got}; expected {want} in {len(misses)} of {total} cases "
            f"({names}). {dtype_hint(misses[0][2])}")


def _verdict(groups: dict[str, tuple[int, int]], dtype_wrong: bool, every: int, passed: int) -> str:
    if not groups:
        return f"{passed} of {every} cases pass"
    parts = [f"{p} of {t} {g} pass" for g, (p, t) in groups.items()]
    return ", ".join(parts + (["the dtype is wrong"] if dtype_wrong else []))


def run_check(title: str, fn: Callable, reference: Callable, cases: list[Case],
              strict: bool = False, rtol: float = 1e-5, atol: float = 1e-6,
              quiet: bool = False, exact: bool = False,
              random_cases: Callable[[torch.Generator], list[Case]] | None = None,
              seed: int | None = None, time_limit: float | None = None,
              dtype_apart: bool = False) -> Report:
    """Compare ``fn`` with ``reference`` on every case; print a report; raise only when ``strict``.

    ``exact`` demands the exact types and dtypes (per case: :attr:`Case.exact`).
    ``random_cases(generator)`` draws more cases from ``seed`` (a fresh one at
    every run when ``None``); the seed is printed when one of them fails, so
    ``check_x(fn, seed=...)`` repeats them. Each case of ``fn`` may take
    ``time_limit`` seconds (default :data:`TIME_LIMIT`). Cases with a
    :attr:`Case.group` are printed and counted group by group. With
    ``dtype_apart``, a tensor whose values and shape are right but whose dtype
    is not passes its case and fails one separate item, :data:`DTYPE_ITEM`,
    with a hint, so that one dtype slip does not fail every case.
    """
    say = (lambda *a: None) if quiet else print
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    seed = fresh_seed() if seed is None else seed
    drawn = _draw(random_cases, seed)
    every, passed, failed, reasons = list(cases) + drawn, [], [], {}
    grouped = any(c.group for c in every)
    every = _grouped(every) if grouped else every
    groups: dict[str, list[int]] = {}
    dtype_misses: list[tuple[str, Any, Any]] = []
    tensors = 0  # cases whose expected result is a tensor
    say(f"Self-check: {title} ({len(cases)} cases" + (f" and {len(drawn)} random ones)" if drawn else ")"))
    for case in every:
        kind_exp, expected = _outcome(case, reference)
        if kind_exp in ("fail", "unfinished"):
            raise RuntimeError(f"the reference of {title} fails its own case {case.name!r}: {expected}")
        kind, actual = _outcome(case, fn, time_limit)
        if kind == "unfinished":
            return _not_yet(title, actual, [c.name for c in every], seed, strict, say)
        note = ""
        try:
            why = _judge(case, kind_exp, expected, kind, actual, rtol, atol, exact)
            if dtype_apart and kind_exp == kind == "value" and isinstance(expected, torch.Tensor):
                tensors += 1
                if why and dtype_only(expected, actual, rtol, atol):
                    dtype_misses.append((case.name, actual.dtype, expected.dtype))
                    why, note = None, f" (values right; dtype {actual.dtype})"
        except Exception as e:  # a returned object that cannot even be compared or printed
            why = f"returned a {type(actual).__name__} that cannot be compared with the expected value ({e})"
        if grouped and case.group not in groups:
            groups[case.group] = [0, 0]
            say(f"  {(case.group or 'other cases').capitalize()}:")
        if grouped:
            groups[case.group][0] += 0 if why else 1
            groups[case.group][1] += 1
        (failed if why else passed).append(case.name)
        reasons.update({case.name: why} if why else {})
        say(f"  PASS  {case.name}{note}" if not why else
            f"  FAIL  {case.name}" + (f" ({case.detail})" if case.detail else "") + f": {why}")
    if dtype_misses:
        why = _dtype_reason(dtype_misses, tensors)
        failed.append(DTYPE_ITEM)
        reasons[DTYPE_ITEM] = why
        say(f"  FAIL  {DTYPE_ITEM}: {why}")
    counts = {(g or "other cases"): (p, t) for g, (p, t) in groups.items()}
    if failed:
        verdict = _verdict(counts, bool(dtype_misses), len(every), len(passed))
        say(f"Verdict: {verdict}; fix the failing ones and run this cell again.")
        if {c.name for c in drawn} & set(failed):
            say(f"  The random cases change at every run; give the check seed={seed} to repeat these.")
    else:
        say(f"Verdict: all {len(every)} cases pass.")
    if strict and failed:
        raise CheckFailed(f"{title}: failing cases: {', '.join(failed)}" + (f" (seed={seed})" if drawn else ""))
    return Report(title, passed, failed, seed=seed, reasons=reasons, groups=counts)
