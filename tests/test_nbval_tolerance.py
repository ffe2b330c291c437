"""The numeric-tolerance check for notebook outputs (tests/nbval_tolerance.py) and claim cells."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT
from nbval_tolerance import NUMBER, compare_text, parse_tolerance

BASIS = {"basis": "a test"}


def tol(**spec):
    return parse_tolerance({**BASIS, **spec}, "test cell")


def test_numbers_within_the_tolerance_pass():
    assert compare_text("BLEU 75.0, exact match 53.6%", "BLEU 74.8, exact match 53.4%", tol(abs=0.5)) == []


def test_a_number_outside_the_tolerance_fails_and_is_named():
    problems = compare_text("BLEU 75.0, exact match 53.6%", "BLEU 73.9, exact match 53.4%", tol(abs=0.5))
    assert len(problems) == 1
    assert "got 73.9 where 75.0 was stored" in problems[0] and "abs 0.5" in problems[0]


def test_the_text_around_the_numbers_must_match_exactly():
    problems = compare_text("neighbours of king: queen", "neighbours of king: prince", tol(abs=1))
    assert problems and "the text differs" in problems[0]


def test_a_different_number_of_lines_fails():
    assert compare_text("a 1\nb 2", "a 1", tol(abs=1)) == ["1 lines where 2 were stored"]


def test_relative_tolerance_scales_with_the_stored_value():
    rule = tol(rel=0.01)
    assert compare_text("loss 1000.0", "loss 1009.0", rule) == []
    assert compare_text("loss 1000.0", "loss 1011.0", rule)


def test_per_line_rules_override_the_cell_default():
    rule = tol(abs=0.2, lines=[{"match": "fixes", "abs": 6}])
    stored = "beam 5 fixes 17 of the 272 greedy errors\nBLEU 96.1"
    assert compare_text(stored, "beam 5 fixes 12 of the 270 greedy errors\nBLEU 96.2", rule) == []
    assert compare_text(stored, "beam 5 fixes 12 of the 270 greedy errors\nBLEU 96.5", rule)
    assert compare_text(stored, "beam 5 fixes 5 of the 270 greedy errors\nBLEU 96.1", rule)


def test_columns_that_shift_when_a_number_grows_still_match():
    stored = "model      BLEU\nattention  9.5\nchapter 6  7.3"
    got = "model      BLEU\nattention  10.1\nchapter 6   7.4"
    assert compare_text(stored, got, tol(abs=1)) == []


@pytest.mark.parametrize("text, numbers", [
    ("25,600,000 bytes", ["25,600,000"]),
    ("error 3.9e-03, -0.35 and +2", ["3.9e-03", "-0.35", "+2"]),
    ("float32 x2 (B=3, T=5)", ["3", "5"]),
    ("[0.818, 2.471]", ["0.818", "2.471"]),
])
def test_numbers_are_found_as_printed(text, numbers):
    assert NUMBER.findall(text) == numbers


def test_nan_matches_only_nan():
    assert compare_text("loss nan", "loss nan", tol(abs=1)) == []


@pytest.mark.parametrize("spec, message", [
    ({"abs": 1}, "basis"),
    ({**BASIS, "abs": 0}, "exact check"),
    ({**BASIS, "abs": -1}, ">= 0"),
    ({**BASIS, "abs": "1"}, "must be a number"),
    ({**BASIS, "abs": 1, "absolute": 2}, "unknown tolerance keys"),
    ({**BASIS, "abs": 1, "lines": [{"abs": 2}]}, "match"),
    ([1], "must be a mapping"),
])
def test_malformed_tolerances_are_refused_naming_the_cell(spec, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_tolerance(spec, "07_x.ipynb, code cell 5")
    assert "07_x.ipynb, code cell 5" in str(info.value)


# --- the chapters' own tolerance cells -------------------------------------------------------


def tolerance_cells():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
            if "tolerance" in cell.get("metadata", {}):
                yield path.name, i, cell


def stored_text(cell) -> str:
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            return "".join(out["text"])
    return ""


def perturb_first_number(text: str, by: float) -> tuple[str, str]:
    """``text`` with its first number moved by ``by``; and that line."""
    m = NUMBER.search(text)
    value = float(m.group().replace(",", "")) + by
    new = text[: m.start()] + repr(value) + text[m.end():]
    start = text.rfind("\n", 0, m.start()) + 1
    return new, text[start: text.find("\n", m.start()) if "\n" in text[m.start():] else None]


def test_the_chapters_check_training_results_with_tolerances():
    cells = list(tolerance_cells())
    assert len(cells) >= 10, "training results in the chapters should be checked with tolerances"
    for name, i, cell in cells:
        parse_tolerance(cell["metadata"]["tolerance"], f"{name}, code cell {i}")
        assert "nbval-check-output" in cell["metadata"].get("tags", []), f"{name}, code cell {i}"


@pytest.mark.parametrize("name, i, cell", [c for c in tolerance_cells() if NUMBER.search(stored_text(c[2]))],
                         ids=lambda v: v if isinstance(v, (str, int)) else "")
def test_a_stored_number_moved_beyond_its_tolerance_fails_and_within_it_passes(name, i, cell):
    rule_set = parse_tolerance(cell["metadata"]["tolerance"], f"{name}, code cell {i}")
    text = stored_text(cell)
    _, line = perturb_first_number(text, 0)
    rule = rule_set.rule_for(line)
    value = float(NUMBER.search(text).group().replace(",", ""))
    allowed = rule.abs + rule.rel * abs(value)
    beyond, _ = perturb_first_number(text, 1.5 * allowed + 1e-9)
    within, _ = perturb_first_number(text, 0.5 * allowed)
    assert compare_text(text, beyond, rule_set), f"{name} code cell {i}: a number moved beyond " \
                                                 "its tolerance was accepted"
    assert compare_text(text, within, rule_set) == [], f"{name} code cell {i}"


# --- end to end: nbval with the plugin on a small notebook -----------------------------------


def run_nbval(tmp_path: Path, cells: list) -> subprocess.CompletedProcess:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
           "-p", "no:xdist", "--nbval-lax", "--nbval-current-env", "-q", str(path)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def checked_cell(source: str, stored: str, tolerance: dict | None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["nbval-check-output"]
    if tolerance is not None:
        cell.metadata["tolerance"] = tolerance
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    cell.execution_count = 1
    return cell


SOURCE = 'print(f"test BLEU {74.8:.1f}, {1354} correct")'


def test_nbval_passes_a_number_within_its_tolerance(tmp_path):
    cell = checked_cell(SOURCE, "test BLEU 75.2, 1350 correct\n", {"abs": 5, "basis": "test"})
    proc = run_nbval(tmp_path, [cell])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_nbval_fails_a_number_beyond_its_tolerance_and_names_it(tmp_path):
    cell = checked_cell(SOURCE, "test BLEU 76.0, 1354 correct\n", {"abs": 0.5, "basis": "test"})
    proc = run_nbval(tmp_path, [cell])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "got 74.8 where 76.0 was stored" in proc.stdout


def test_without_a_tolerance_the_check_stays_exact(tmp_path):
    proc = run_nbval(tmp_path, [checked_cell(SOURCE, "test BLEU 74.9, 1354 correct\n", None)])
    assert proc.returncode == 1 and "Cell outputs differ" in proc.stdout


def test_a_broken_claim_fails_and_names_the_claim(tmp_path):
    cell = nbformat.v4.new_code_cell(
        "from embcourse import claim\n"
        "bleu_attention, bleu_chapter6 = 55.0, 58.8\n"
        "claim(bleu_attention > bleu_chapter6 + 10,\n"
        "      'attention beats chapter 6 by more than 10 BLEU on held-out combinations',\n"
        "      attention=bleu_attention, chapter6=bleu_chapter6)")
    cell.metadata["tags"] = ["remove-cell"]
    proc = run_nbval(tmp_path, [cell])
    assert proc.returncode == 1
    assert 'Claim no longer holds: "attention beats chapter 6 by more than 10 BLEU on held-out ' \
           'combinations" (measured: attention=55.0, chapter6=58.8)' in proc.stdout


def test_a_tolerance_without_the_check_tag_is_a_usage_error(tmp_path):
    cell = checked_cell(SOURCE, "test BLEU 74.8, 1354 correct\n", {"abs": 0.5, "basis": "test"})
    cell.metadata["tags"] = []
    proc = run_nbval(tmp_path, [cell])
    assert proc.returncode != 0 and "no 'nbval-check-output' tag" in proc.stdout + proc.stderr
