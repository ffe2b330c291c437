"""Comparing what a learner's function returned with what the reference returned, in plain words.

:func:`compare` returns ``None`` for a match, else one sentence: which positions
of a tensor differ (first few), every differing key of a dict, ``inf`` and
``nan`` printed as such, a dtype hint when only the dtype is wrong. The torch
functions it relies on are taken from torch's C module when this module loads,
so a learner's function that replaces ``torch.allclose`` cannot make it pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

_VF = torch._C._VariableFunctions
_allclose, _isclose, _equal = _VF.allclose, _VF.isclose, _VF.equal
_isfinite, _isnan = _VF.isfinite, _VF.isnan


# ---------------------------------------------------------------- describing values

def _num(x: Any) -> str:
    """A number printed plainly: 3, 0.25, inf, nan."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return repr(x)
    if isinstance(x, int):
        return str(x)
    return "nan" if math.isnan(x) else "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:.6g}"


def _plain(x: Any) -> bool:
    """True for a tensor whose methods can be trusted (no subclass with its own ``__torch_function__``)."""
    return type(x) is torch.Tensor or type(x) is torch.nn.Parameter


def _describe(x: Any, limit: int = 120) -> str:
    """A short description of ``x``: type, shape and dtype of a tensor, a few values."""
    if isinstance(x, torch.Tensor):
        if not _plain(x):
            return f"a {type(x).__name__} (a subclass of torch.Tensor)"
        if x.dim() == 0:
            return f"a 0-d tensor of dtype {x.dtype}: {_short_list(x.item())}"
        body = f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}"
        if x.numel() <= 12 and not x.is_sparse:
            body += ": " + _short_list(x.detach().cpu().tolist())
        return body
    if isinstance(x, np.ndarray):
        body = f"NumPy array of shape {x.shape}, dtype {x.dtype}"
        return body + (": " + _short_list(x.tolist()) if x.size <= 12 else "")
    if isinstance(x, (list, tuple)):
        shown = 4 if any(isinstance(v, (torch.Tensor, np.ndarray, list, tuple, dict)) for v in x) else 12
        items = [_describe(v, 60) if isinstance(v, (torch.Tensor, np.ndarray)) else _short_list(v)
                 for v in x[:shown]]
        text = ", ".join(items) + (", ..." if len(x) > shown else "")
        open_, close = ("[", "]") if isinstance(x, list) else ("(", ",)" if len(x) == 1 else ")")
        if len(text) > limit:
            text = text[:limit - 4] + " ..."
        return open_ + text + close
    return _short_list(x)


def _what(x: Any) -> str:
    """``_describe`` preceded by the type name where the description does not say it."""
    if isinstance(x, (torch.Tensor, np.ndarray, list, tuple)):
        return _describe(x)
    return f"{type(x).__name__} {_describe(x)}"


def _short_list(x: Any) -> str:
    """Nested lists of numbers with floats printed plainly (inf, nan, 6 significant digits)."""
    if isinstance(x, list):
        return "[" + ", ".join(_short_list(v) for v in x) + "]"
    if isinstance(x, tuple):
        return "(" + ", ".join(_short_list(v) for v in x) + ("," if len(x) == 1 else "") + ")"
    if isinstance(x, float):
        return _num(x)
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- comparing values

def _as_tensor(x: Any) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x))
    x = x.detach().cpu()
    return x.to_dense() if x.is_sparse else x


def _where(p: list[int]) -> str:
    return str(p[0]) if len(p) == 1 else str(tuple(p))


def _compare_tensors(expected: Any, actual: Any, rtol: float, atol: float, exact: bool) -> str | None:
    if isinstance(actual, torch.Tensor) and not _plain(actual):
        return (f"expected a plain torch.Tensor, got {type(actual).__name__}, a subclass of it; "
                "return an ordinary tensor")
    if exact and isinstance(expected, torch.Tensor) and isinstance(actual, np.ndarray):
        return f"expected a torch.Tensor, got a NumPy array ({_describe(actual)}); return a tensor"
    if not isinstance(actual, (torch.Tensor, np.ndarray)):
        return f"expected a {_describe(expected)}, got {_what(actual)}"
    exp, act = _as_tensor(expected), _as_tensor(actual)
    if act.shape != exp.shape:
        return f"expected shape {tuple(exp.shape)}, got shape {tuple(act.shape)}"
    values = _compare_values(exp, act, rtol, atol)
    kinds_differ = (exp.dtype == torch.bool) != (act.dtype == torch.bool) or \
        exp.is_floating_point() != act.is_floating_point()
    if act.dtype != exp.dtype and (exact or kinds_differ):
        if values is None:
            return f"values right, dtype {act.dtype}; expected {exp.dtype}"
        return f"expected dtype {exp.dtype}, got dtype {act.dtype}, and {values}"
    return values


def _compare_values(exp: torch.Tensor, act: torch.Tensor, rtol: float, atol: float) -> str | None:
    """``None`` when two tensors of one shape hold the same values (within the tolerance), else where they differ."""
    if exp.numel() == 0:
        return None
    if exp.is_floating_point() or act.is_floating_point():
        e, a = exp.double(), act.double()
        if _allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
            return None
        bad = ~_isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    else:
        bad = exp.to(torch.int64) != act.to(torch.int64)
    count = int(bad.sum())
    if count == 0:
        return None
    if exp.dim() == 0:
        return f"expected {_num(exp.item())}, got {_num(act.item())}"
    where = [f"at {_where(p)}: expected {_num(exp[tuple(p)].item())}, got {_num(act[tuple(p)].item())}"
             for p in bad.nonzero().tolist()[:3]]
    text = f"{count} of {exp.numel()} values differ ({'; '.join(where)}{'; ...' if count > 3 else ''})"
    if exp.is_floating_point() or act.is_floating_point():
        ed, ad = exp.double(), act.double()
        both = _isfinite(ed) & _isfinite(ad) & bad
        if not bool(_isfinite(ad[bad]).all()):
            text += "; got " + " and ".join(sorted({_num(v) for v in ad[bad & ~_isfinite(ad)].tolist()}))
        if bool(both.any()):
            text += f"; largest difference {(ad[both] - ed[both]).abs().max().item():.3g}"
    return text


def _compare_numbers(expected: int | float, actual: Any, rtol: float, atol: float, exact: bool) -> str | None:
    if exact:
        want = "a Python float" if isinstance(expected, float) else "a Python int"
        ok = isinstance(actual, float) if isinstance(expected, float) else \
            isinstance(actual, int) and not isinstance(actual, bool)
        if not ok:
            hint = " (call .item())" if isinstance(actual, (torch.Tensor, np.generic)) else ""
            return f"expected {want} {_num(expected)}, got {_what(actual)}{hint}"
    elif isinstance(actual, torch.Tensor) and _plain(actual) and actual.numel() == 1 and actual.dim() == 0:
        actual = actual.item()
    elif isinstance(actual, np.generic) and np.ndim(actual) == 0:
        actual = actual.item()
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        return f"expected a number {_num(expected)}, got {_what(actual)}"
    if math.isnan(actual) and math.isnan(expected):
        return None
    if math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol):
        return None
    text = f"expected {_num(expected)}, got {_num(actual)}"
    if math.isfinite(actual) and math.isfinite(expected):
        text += f" (difference {abs(actual - expected):.3g})"
    return text


def compare(expected: Any, actual: Any, rtol: float = 1e-5, atol: float = 1e-6, exact: bool = False) -> str | None:
    """``None`` when ``actual`` matches ``expected``, else a sentence saying how it differs.

    With ``exact=True`` types count too: the same tensor dtype, a tensor and not a
    NumPy array, a Python float and not a 0-d tensor. A subclass of
    ``torch.Tensor`` never matches (only ``nn.Parameter`` is accepted).
    """
    if isinstance(expected, (torch.Tensor, np.ndarray)):
        return _compare_tensors(expected, actual, rtol, atol, exact)
    if isinstance(actual, torch.Tensor) and not _plain(actual):
        return f"expected {_describe(expected)}, got {_describe(actual)}; return an ordinary value"
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if actual == expected and type(actual) is type(expected):
            return None
        if isinstance(expected, str) and isinstance(actual, str):
            return f"expected {expected!r}, got {actual!r}"
        return f"expected {_what(expected)}, got {_what(actual)}"
    if isinstance(expected, (int, float)):
        return _compare_numbers(expected, actual, rtol, atol, exact)
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            return f"expected a {type(expected).__name__} {_describe(expected)}, got {_what(actual)}"
        if len(actual) != len(expected):
            return f"expected {len(expected)} items {_describe(expected)}, got {len(actual)} items {_describe(actual)}"
        wrong = [(i, why) for i, (e, a) in enumerate(zip(expected, actual))
                 if (why := compare(e, a, rtol, atol, exact))]
        if not wrong:
            return None
        if all(isinstance(e, (int, float, str)) for e in expected):  # a flat list: show it whole
            return f"expected {_describe(expected)}, got {_describe(actual)}"
        text = "; ".join(f"item {i}: {why}" for i, why in wrong[:3])
        return text + (f"; {len(wrong) - 3} more items differ" if len(wrong) > 3 else "")
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"expected a dict with keys {sorted(map(str, expected))}, got {_what(actual)}"
        missing, extra = [k for k in expected if k not in actual], [k for k in actual if k not in expected]
        parts = [f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"] if missing else []
        parts += [f"unexpected key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"] if extra else []
        parts += [f"key {k!r}: {why}" for k in expected if k in actual
                  and (why := compare(expected[k], actual[k], rtol, atol, exact))]
        return "; ".join(parts) or None
    return None if actual == expected else f"expected {_describe(expected)}, got {_describe(actual)}"


# ---------------------------------------------------------------- a result right but for its dtype

_CONVERSIONS = {torch.int64: ".long()", torch.float32: ".float()", torch.bool: ".bool()",
                torch.int32: ".int()", torch.float64: ".double()"}


def dtype_only(expected: Any, actual: Any, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """True when two plain tensors have the same shape and values but different dtypes."""
    if not (isinstance(expected, torch.Tensor) and isinstance(actual, torch.Tensor)
            and _plain(actual) and not actual.is_sparse):
        return False
    if actual.dtype == expected.dtype or actual.shape != expected.shape:
        return False
    if actual.is_complex() or expected.is_complex():
        return False
    exp, act = _as_tensor(expected).double(), _as_tensor(actual).double()
    return bool(_allclose(act, exp, rtol=rtol, atol=atol, equal_nan=True))


def dtype_hint(want: torch.dtype) -> str:
    """How to give a result the dtype ``want``: one sentence naming the conversion."""
    how = _CONVERSIONS.get(want, "")
    conversion = f"`{how}` (or `.to({want})`)" if how else f"`.to({want})`"
    return f"Convert the result with {conversion} before returning it."
