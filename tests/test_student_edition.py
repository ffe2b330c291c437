"""The student edition (`bash course.sh student`): no solutions, everything else intact, and it runs.

The fast tests check the transformation on small notebooks written here and on
every chapter notebook. The slow tests execute every chapter's student
notebook from a fresh kernel (as long as the chapter itself takes); each
notebook's test sits in its own class, so that `pytest -n 2 --dist loadscope`
runs them on different workers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TOOL = ROOT / "tools" / "student_edition.py"

_spec = importlib.util.spec_from_file_location("student_edition", TOOL)
student_edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student_edition)
student_notebook = student_edition.student_notebook

STRICT_CALL = re.compile(r"strict\s*=\s*True")
NOT_YET = "Verdict: not yet implemented"
STUB = re.compile(r"raise (Unfinished|NotImplementedError)\b")  # an exercise stub (NotImplementedError: the old form)


def md(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source)


def code(source: str, output: str | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if output is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
        cell.execution_count = 1
    return cell


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def sources(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells]


START = "```{solution-start} ex-a\n:class: dropdown\n```"
END = "```{solution-end}\n```"
EXERCISE = "```{exercise} Write f\n:label: ex-a\nWrite `f`.\n```"


def chapter_like() -> nbformat.NotebookNode:
    """A small chapter: prose with output, an exercise, its stub and check, a gated solution."""
    return notebook(
        md("# Title\n\nSome $x$."),
        code("print(1)", output="1\n"),
        md("## Review questions\n\n:::{admonition} Answer\n:class: dropdown\nBecause.\n:::"),
        md("## Exercises\n\n" + EXERCISE),
        code("def f(x):\n    raise NotImplementedError\n\ncheck_f(f)", output="Verdict: not yet implemented\n"),
        md(START),
        code("def f(x):\n    return x\n\ncheck_f(f, strict=True)", output="Verdict: all 3 cases pass.\n"),
        md("The solution explained."),
        md(END),
        md("A closing note."),
    )


# --- the transformation, on notebooks written here ---------------------------------------


def test_gated_solution_block_and_every_cell_between_are_removed():
    out = student_notebook(chapter_like())
    assert not any("solution" in s for s in sources(out))
    assert not any(STRICT_CALL.search(s) for s in sources(out))
    assert "The solution explained." not in sources(out)


def test_every_cell_outside_the_solution_is_kept_in_order_with_its_source():
    nb = chapter_like()
    out = student_notebook(nb)
    kept = [0, 1, 2, 3, 4, 9]
    assert sources(out) == [nb.cells[i].source for i in kept]
    assert [c.get("id") for c in out.cells] == [nb.cells[i].get("id") for i in kept]


def test_outputs_are_cleared_in_exercise_cells_and_kept_elsewhere():
    out = student_notebook(chapter_like())
    prose_cell, stub_cell = out.cells[1], out.cells[4]
    assert prose_cell.outputs and prose_cell.execution_count == 1
    assert stub_cell.outputs == [] and stub_cell.execution_count is None


def test_review_answers_are_not_solutions_and_stay():
    out = student_notebook(chapter_like())
    assert any(":::{admonition} Answer" in s for s in sources(out))


def test_the_source_notebook_is_not_modified():
    nb = chapter_like()
    before = nbformat.writes(nb)
    student_notebook(nb)
    assert nbformat.writes(nb) == before


def test_text_sharing_a_cell_with_a_marker_is_kept():
    nb = notebook(md(EXERCISE + "\n\nBefore the solution.\n\n" + START),
                  code("secret = 1"),
                  md(END + "\n\nAfter the solution."))
    out = student_notebook(nb)
    text = "\n".join(sources(out))
    assert "Before the solution." in text and "After the solution." in text
    assert "secret" not in text and "solution-" not in text


def test_a_solution_written_in_one_markdown_cell_is_removed():
    nb = notebook(md(EXERCISE), md(START + "\nOnly prose here.\n" + END), md("Next."))
    assert sources(student_notebook(nb)) == [EXERCISE, "Next."]


def test_longer_fences_and_colon_fences_are_recognised():
    nb = notebook(md("````{solution-start} ex-a\n:class: dropdown\n````"), code("secret = 1"),
                  md(":::{solution-end}\n:::"), md("kept"))
    assert sources(student_notebook(nb)) == ["kept"]


def test_an_ungated_solution_directive_is_removed():
    nb = notebook(md(EXERCISE), md("Intro.\n\n````{solution} ex-a\n```python\nsecret = 1\n```\n````\n\nOutro."))
    out = student_notebook(nb)
    assert sources(out) == [EXERCISE, "Intro.\n\n\nOutro."]


@pytest.mark.parametrize("cells, message", [
    ([md(START), code("x = 1")], "no matching solution-end"),
    ([md("Text."), md(END)], "solution-end without a solution-start"),
    ([md(START), md(START), md(END)], "solution-start inside an open solution"),
    ([md("```{solution-start} ex-a\n:class: dropdown")], "never closed"),
], ids=["start-without-end", "end-without-start", "nested-start", "unclosed-fence"])
def test_unbalanced_markers_fail_loudly_naming_the_notebook(cells, message):
    with pytest.raises(ValueError, match=message) as info:
        student_notebook(notebook(*cells), name="07_x.ipynb")
    assert "07_x.ipynb" in str(info.value)


def test_the_command_refuses_an_unbalanced_notebook_and_writes_nothing(tmp_path):
    bad = tmp_path / "01_bad.ipynb"
    nbformat.write(notebook(md(START), code("x = 1")), bad)
    proc = subprocess.run([sys.executable, str(TOOL), str(bad), "--out", str(tmp_path / "student")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "01_bad.ipynb" in proc.stderr and "solution-end" in proc.stderr
    assert not (tmp_path / "student" / "01_bad.ipynb").exists()


# --- never destroying a learner's work -------------------------------------------------------


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "src" / "01_x.ipynb"
    path.parent.mkdir()
    nbformat.write(chapter_like(), path)
    return path


def test_a_second_run_overwrites_an_untouched_student_notebook(source, tmp_path):
    out = tmp_path / "student"
    assert run_tool(str(source), "--out", str(out)).returncode == 0
    first = (out / "01_x.ipynb").read_text()
    proc = run_tool(str(source), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "01_x.ipynb").read_text() == first and not list(out.glob("*.bak*"))


def learner_edits(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    stub = next(c for c in nb.cells if "NotImplementedError" in c.source)
    stub.source = "def f(x):\n    return x  # my answer"
    nbformat.write(nb, path)


def test_it_refuses_to_overwrite_a_notebook_the_learner_edited(source, tmp_path):
    out = tmp_path / "student"
    run_tool(str(source), "--out", str(out))
    learner_edits(out / "01_x.ipynb")
    edited = (out / "01_x.ipynb").read_text()
    proc = run_tool(str(source), "--out", str(out))
    assert proc.returncode != 0
    assert "01_x.ipynb" in proc.stderr and "--force" in proc.stderr
    assert (out / "01_x.ipynb").read_text() == edited  # the learner's answer is still there


def test_a_notebook_not_written_by_the_tool_is_not_overwritten(source, tmp_path):
    out = tmp_path / "student"
    out.mkdir()
    (out / "01_x.ipynb").write_text("my own notes")
    assert run_tool(str(source), "--out", str(out)).returncode != 0
    assert (out / "01_x.ipynb").read_text() == "my own notes"


def test_force_overwrites_and_keeps_a_backup_of_the_learner_version(source, tmp_path):
    out = tmp_path / "student"
    run_tool(str(source), "--out", str(out))
    learner_edits(out / "01_x.ipynb")
    edited = (out / "01_x.ipynb").read_text()
    proc = run_tool(str(source), "--out", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    assert (out / "01_x.ipynb.bak").read_text() == edited
    assert "my answer" not in (out / "01_x.ipynb").read_text()
    learner_edits(out / "01_x.ipynb")
    run_tool(str(source), "--out", str(out), "--force")
    assert (out / "01_x.ipynb.bak2").exists() and (out / "01_x.ipynb.bak").read_text() == edited


@pytest.mark.parametrize("where", ["same folder", "notebooks"])
def test_it_refuses_to_write_into_the_source_folder(source, where):
    out = source.parent if where == "same folder" else ROOT / "notebooks"
    before = source.read_text()
    proc = run_tool(str(source), "--out", str(out))
    assert proc.returncode != 0 and "source notebooks" in proc.stderr
    assert source.read_text() == before


def test_student_notebooks_are_written_readable_by_everyone(source, tmp_path):
    out = tmp_path / "student"
    run_tool(str(source), "--out", str(out))
    assert (out / "01_x.ipynb").stat().st_mode & 0o777 == 0o644


# --- every chapter notebook -----------------------------------------------------------------


MARKER = re.compile(r"\{solution-(start|end)\}")


def solution_cells(nb: nbformat.NotebookNode) -> tuple[set[str], set[str]]:
    """(ids of cells wholly inside a solution block, ids of cells holding a marker): an independent scan."""
    inside, hidden, marked = False, set(), set()
    for cell in nb.cells:
        found = [m.group(1) for m in MARKER.finditer(cell.source)] if cell.cell_type == "markdown" else []
        if found:
            marked.add(cell.id)
            inside = found[-1] == "start"
        elif inside:
            hidden.add(cell.id)
    return hidden, marked


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(line in it for line in short)


def test_the_command_writes_one_student_notebook_per_chapter(tmp_path):
    if not NOTEBOOKS:
        pytest.skip("no chapter notebooks yet")
    proc = subprocess.run([sys.executable, str(TOOL), "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    for path in tmp_path.glob("*.ipynb"):
        nbformat.validate(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_chapter_contains_no_solution_and_keeps_the_rest(path):
    nb = nbformat.read(path, as_version=4)
    out = student_notebook(nb, name=path.name)
    hidden, marked = solution_cells(nb)
    assert hidden, f"{path.name} has no gated solution block (every chapter has exercises with solutions)"
    kept_ids = [c.id for c in out.cells]
    assert not hidden & set(kept_ids), "cells from inside a solution block survived"
    for cell in out.cells:
        assert "{solution" not in cell.source, f"a solution marker survived: {cell.source[:80]!r}"
        if cell.cell_type == "code":
            assert not STRICT_CALL.search(cell.source), f"a strict check call survived: {cell.source[:80]!r}"
    by_id = {c.id: c for c in nb.cells}
    untouched = [c.id for c in nb.cells if c.id not in hidden | marked]
    assert [i for i in kept_ids if i not in marked] == untouched, "a cell outside the solutions was dropped or reordered"
    for cell in out.cells:
        original = by_id[cell.id].source
        if cell.id in marked:  # what is left of a marker cell is text of the original, in order
            assert _is_subsequence(cell.source.splitlines(), original.splitlines())
        else:
            assert cell.source == original, f"cell {cell.id} was changed"
    solution_code = [c.source.strip() for c in nb.cells if c.id in hidden and c.cell_type == "code" and c.source.strip()]
    assert solution_code, f"{path.name}: no solution code cell (every chapter solves its coding exercises)"
    student_text = "\n".join(c.source for c in out.cells)
    leaked = [code[:60] for code in solution_code if code in student_text]
    assert not leaked, f"solution code found in the student edition: {leaked}"
    count = lambda book: sum(c.source.count("{exercise}") for c in book.cells)  # noqa: E731
    assert count(out) == count(nb), "an exercise statement was removed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_chapter_exercise_stubs_have_no_stored_output(path):
    out = student_notebook(nbformat.read(path, as_version=4), name=path.name)
    stubs = [c for c in out.cells if c.cell_type == "code" and STUB.search(c.source)]
    assert stubs, f"{path.name} has no exercise stub (`raise Unfinished(...)`)"
    assert all(c.outputs == [] and c.execution_count is None for c in stubs)


def _stream_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            parts.append(o.get("data", {}).get("text/plain", ""))
    return "".join(parts)


# Executing a student notebook costs about as much as the chapter's nbval run (the lesson
# cells are the same). Each notebook gets one wall-clock budget for the whole run (not per
# cell), STUDENT_NOTEBOOK_TIMEOUT seconds (default 900); its measured time is written to
# artifacts/student-edition/NN_x.json and shows in `--durations`.
BUDGET = float(os.environ.get("STUDENT_NOTEBOOK_TIMEOUT", "900"))
TIMES = ROOT / "artifacts" / "student-edition"


class _StudentNotebookRuns:
    """Executes one chapter's student notebook from a fresh kernel, top to bottom."""

    notebook: Path

    def test_runs_top_to_bottom_with_every_self_check_not_yet_implemented(self):
        path = self.notebook
        out = student_notebook(nbformat.read(path, as_version=4), name=path.name)
        workdir = ROOT / "student"  # where `course.sh student` puts it: relative paths match
        workdir.mkdir(exist_ok=True)
        deadline = time.monotonic() + BUDGET
        client = NotebookClient(out, kernel_name="python3", resources={"metadata": {"path": str(workdir)}},
                                timeout_func=lambda cell: max(1, int(deadline - time.monotonic())))
        start = time.monotonic()
        try:
            client.execute()
        except CellExecutionError as e:
            pytest.fail(f"the student edition of {path.name} fails:\n{e}")
        except TimeoutError:
            pytest.fail(f"the student edition of {path.name} did not finish within its budget of "
                        f"{BUDGET:.0f} s (STUDENT_NOTEBOOK_TIMEOUT)")
        seconds = time.monotonic() - start
        TIMES.mkdir(parents=True, exist_ok=True)
        (TIMES / f"{path.stem}.json").write_text(json.dumps(
            {"notebook": path.name, "seconds": round(seconds, 1), "cells": len(out.cells)}) + "\n")
        print(f"{path.name}: student edition ran in {seconds:.1f} s")
        stubs = [i for i, c in enumerate(out.cells)
                 if c.cell_type == "code" and STUB.search(c.source)]
        assert stubs, f"{path.name}: no exercise stub in the student edition"
        errors = [i for i, c in enumerate(out.cells) if c.cell_type == "code"
                  for o in c.get("outputs", []) if o.output_type == "error"]
        assert errors == [], f"{path.name}: cells {errors} stored an error"
        reports = [_stream_text(c) for c in out.cells[stubs[0]:] if c.cell_type == "code"]
        reports = [r for r in reports if "Self-check:" in r]
        assert reports, f"no self-check ran in the exercises of {path.name}"
        for r in reports:
            assert r.count("Self-check:") == r.count(NOT_YET), f"a self-check did not say 'not yet implemented':\n{r}"
        assert sum(r.count(NOT_YET) for r in reports) >= len(stubs)


# One class per chapter: a separate xdist scope, so the notebooks run in parallel.
for _path in NOTEBOOKS:
    _name = "TestStudentEdition_" + re.sub(r"\W", "_", _path.stem)
    globals()[_name] = type(_name, (_StudentNotebookRuns,), {"notebook": _path})
