"""nbval with numeric tolerances: text compared exactly, numbers within a stated tolerance.

Loaded by ``-p tests.nbval_tolerance`` (``pyproject.toml``). A notebook cell opts
in through its metadata, which the built book never shows::

    "metadata": {
      "tags": ["nbval-check-output"],
      "tolerance": {"abs": 0.6, "rel": 0.0,
                    "lines": [{"match": "fixes", "abs": 8}],
                    "basis": "BLEU 74.8-75.3 over four CPU setups"}
    }

- ``nbval-check-output`` alone: the output is compared exactly (nbval's rule).
- with ``tolerance``: every output text is split into words and numbers. The
  words and the line structure must match exactly (runs of spaces count as one,
  so a table whose columns shift still matches); each number ``got`` must lie
  within ``abs + rel * |expected|`` of the stored one. ``lines`` gives other
  tolerances to the stored lines that a regular expression matches (the first
  rule that matches wins). ``basis`` records the measured spread the tolerance
  was set from (see CONTRIBUTING.md); the plugin requires it.

A failure names every number out of tolerance, with its line, before nbval's
own diff. Malformed metadata is a collection error naming the cell.
"""

from __future__ import annotations

import math
import re
import types
from dataclasses import dataclass

import pytest
from nbformat import NotebookNode

# A number as printed: 12, -0.35, 1,234,567, 2.5e-03, 53.6 (in 53.6%). It may
# not follow a letter, digit, dot or underscore, so "float32" or "x2" are words.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
SPACES = re.compile(r"[ \t]+")
KEYS = {"abs", "rel", "lines", "basis"}


@dataclass(frozen=True)
class Rule:
    """A tolerance: ``|got - expected| <= abs + rel * |expected|``."""

    abs: float = 0.0
    rel: float = 0.0

    def allows(self, expected: float, got: float) -> bool:
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        return abs(got - expected) <= self.abs + self.rel * abs(expected)


@dataclass(frozen=True)
class Tolerance:
    """A cell's default rule and its per-line rules (regular expression, rule)."""

    default: Rule
    lines: tuple[tuple[re.Pattern, Rule], ...] = ()

    def rule_for(self, line: str) -> Rule:
        for pattern, rule in self.lines:
            if pattern.search(line):
                return rule
        return self.default


def _rule(spec: dict, where: str) -> Rule:
    values = {}
    for key in ("abs", "rel"):
        value = spec.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{where}: tolerance {key!r} must be a number >= 0, got {value!r}")
        values[key] = float(value)
    if values["abs"] == 0 and values["rel"] == 0:
        raise ValueError(f"{where}: a tolerance of zero is an exact check; use the "
                         "nbval-check-output tag alone")
    return Rule(**values)


def parse_tolerance(spec: object, where: str) -> Tolerance:
    """The ``tolerance`` metadata of a cell, validated; ``where`` names the cell in errors."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: 'tolerance' must be a mapping, got {type(spec).__name__}")
    unknown = set(spec) - KEYS
    if unknown:
        raise ValueError(f"{where}: unknown tolerance keys {sorted(unknown)} (expected {sorted(KEYS)})")
    if not isinstance(spec.get("basis"), str) or not spec["basis"].strip():
        raise ValueError(f"{where}: tolerance needs a 'basis': the measured spread it was set from")
    lines = []
    for i, line_spec in enumerate(spec.get("lines", [])):
        if not isinstance(line_spec, dict) or not isinstance(line_spec.get("match"), str):
            raise ValueError(f"{where}: tolerance lines[{i}] must be a mapping with a 'match' regex")
        rest = {k: v for k, v in line_spec.items() if k != "match"}
        lines.append((re.compile(line_spec["match"]), _rule(rest, f"{where} lines[{i}]")))
    return Tolerance(_rule(spec, where), tuple(lines))


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _skeleton(line: str) -> str:
    return SPACES.sub(" ", NUMBER.sub("#", line)).strip()


def compare_text(expected: str, got: str, tol: Tolerance) -> list[str]:
    """Why ``got`` does not match ``expected`` within ``tol``; an empty list when it does."""
    exp_lines, got_lines = expected.rstrip("\n").split("\n"), got.rstrip("\n").split("\n")
    if len(exp_lines) != len(got_lines):
        return [f"{len(got_lines)} lines where {len(exp_lines)} were stored"]
    problems = []
    for n, (e, g) in enumerate(zip(exp_lines, got_lines), start=1):
        if _skeleton(e) != _skeleton(g):
            problems.append(f"line {n}: the text differs (not only numbers):\n"
                            f"    stored: {e.strip()}\n    got:    {g.strip()}")
            continue
        rule = tol.rule_for(e)
        for es, gs in zip(NUMBER.findall(e), NUMBER.findall(g)):
            ev, gv = _number(es), _number(gs)
            if not rule.allows(ev, gv):
                problems.append(f"line {n}: got {gs} where {es} was stored, outside the tolerance "
                                f"abs {rule.abs:g} + rel {rule.rel:g} (difference "
                                f"{abs(gv - ev):.4g}): {e.strip()}")
    return problems


def _accept_within_tolerance(item, test: list, ref: list) -> tuple[list, list[str]]:
    """A copy of the test outputs in which each text that matches its stored text within
    the cell's tolerance is replaced by the stored text; and the problems found."""
    tol: Tolerance = item._embcourse_tolerance
    problems: list[str] = []
    if len(test) != len(ref):
        return test, problems  # nbval reports the difference in outputs
    accepted = []
    for t_out, r_out in zip(test, ref):
        t_out = NotebookNode(t_out)  # a copy: the cell's outputs stay as they were
        if t_out.get("output_type") == r_out.get("output_type"):
            if isinstance(t_out.get("text"), str) and isinstance(r_out.get("text"), str):
                found = compare_text(r_out["text"], t_out["text"], tol)
                problems += found
                t_out["text"] = r_out["text"] if not found else t_out["text"]
            if isinstance(t_out.get("data"), dict) and isinstance(r_out.get("data"), dict):
                data = NotebookNode(t_out["data"])
                for mime, value in data.items():
                    stored = r_out["data"].get(mime)
                    if isinstance(value, str) and isinstance(stored, str):
                        found = compare_text(stored, value, tol)
                        problems += [f"{mime}: {p}" for p in found] if mime == "text/plain" else []
                        data[mime] = stored if not found else value
                t_out["data"] = data
        accepted.append(t_out)
    return accepted, problems


def _tolerant_compare(self, test, ref, skip_compare=None):
    accepted, problems = _accept_within_tolerance(self, test, ref)
    same = type(self).compare_outputs(self, accepted, ref, skip_compare)
    if not same and problems:
        self.comparison_traceback[:0] = ["Numbers outside the cell's tolerance:"] + \
            ["  " + p for p in problems]
    return same


def pytest_collection_modifyitems(session, config, items):
    """Give every notebook cell with ``tolerance`` metadata the tolerant comparison."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to do
        return
    for item in items:
        if not isinstance(item, IPyNbCell):
            continue
        spec = item.cell.metadata.get("tolerance")
        if spec is None:
            continue
        where = f"{item.path.name}, code cell {item.cell_num}"
        if "nbval-check-output" not in item.cell.metadata.get("tags", []):
            raise pytest.UsageError(f"{where}: has a tolerance but no 'nbval-check-output' tag")
        try:
            item._embcourse_tolerance = parse_tolerance(spec, where)
        except ValueError as err:
            raise pytest.UsageError(str(err)) from None
        item.compare_outputs = types.MethodType(_tolerant_compare, item)
