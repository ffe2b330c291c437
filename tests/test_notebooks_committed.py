"""Every chapter notebook is committed executed, from one fresh top-to-bottom run."""

import pytest

from conftest import NOTEBOOKS, ROOT, read_notebook


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_chapter_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_execution_counts_run_one_to_n(path):
    counts = [c["execution_count"] for c in code_cells(read_notebook(path))]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: re-run it with `bash course.sh refresh {path.name}`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_outputs_or_tracebacks(path):
    for i, cell in enumerate(code_cells(read_notebook(path))):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} code cell {i}: {out.get('ename')}"
            assert "Traceback" not in "".join(out.get("text", "")), f"{path.name} code cell {i}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_name_no_path_of_this_machine(path):
    """A stored output that names a folder of the machine that ran it (a warning's file
    name, a temporary folder) differs on every other machine and breaks the output check."""
    root = str(ROOT)
    for i, cell in enumerate(code_cells(read_notebook(path))):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert root not in text, f"{path.name} code cell {i} prints the repository's path {root}"
            assert "site-packages" not in text, f"{path.name} code cell {i} prints an installed package's path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_follows_the_chapter_template(path):
    nb = read_notebook(path)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert markdown.lstrip().startswith("# "), "the first cell must hold the title"
    for heading in ("## Summary", "## Review questions", "## Exercises"):
        assert heading in markdown, f"{path.name} has no {heading!r}"
    assert markdown.count("```{exercise}") >= 3, "at least three exercises"
    assert markdown.count("```{solution-start}") == markdown.count("```{solution-end}")
    assert markdown.count("```{solution-start}") >= markdown.count("```{exercise}")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_cell_runs_its_check_in_strict_mode(path):
    cells, inside, strict_calls, friendly_calls = read_notebook(path)["cells"], False, 0, 0
    for cell in cells:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            inside = (inside or "```{solution-start}" in src) and "```{solution-end}" not in src
        elif "check_" in src:
            strict = "strict=True" in src
            assert strict == inside, f"{path.name}: a check {'outside' if strict else 'inside'} a solution " \
                                     f"{'is' if strict else 'is not'} strict:\n{src}"
            strict_calls, friendly_calls = strict_calls + strict, friendly_calls + (not strict)
    assert strict_calls >= 1 and friendly_calls >= 1, f"{path.name}: no self-checked coding exercise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_use_tags_not_comments(path):
    for i, cell in enumerate(code_cells(read_notebook(path))):
        assert "NBVAL" not in "".join(cell["source"]), \
            f"{path.name} code cell {i}: use the cell tag nbval-check-output, not a comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    long = [(i, line) for i, cell in enumerate(code_cells(read_notebook(path)))
            for line in "".join(cell["source"]).splitlines() if len(line) > 88]
    assert not long, f"{path.name}: {len(long)} code lines longer than 88 characters, " \
                     f"first in code cell {long[0][0]}: {long[0][1]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_claim_cells_are_tagged_remove_cell(path):
    for i, cell in enumerate(code_cells(read_notebook(path))):
        if "claim(" in "".join(cell["source"]):
            assert "remove-cell" in cell.get("metadata", {}).get("tags", []), \
                f"{path.name} code cell {i} asserts a claim but is shown in the book"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glued_values_are_plain_numbers_not_numpy_or_torch_reprs(path):
    """myst-nb formats a glued number from its text/plain; ``np.float64(7.4)`` breaks the build."""
    bad = [(i, out["data"]["application/papermill.record/text/plain"][:40])
           for i, cell in enumerate(code_cells(read_notebook(path)))
           for out in cell.get("outputs", [])
           if out.get("data", {}).get("application/papermill.record/text/plain", "")
           .startswith(("np.", "tensor(", "array("))]
    assert not bad, f"{path.name}: glue a plain float/int (float(x), x.item()), not {bad[0]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_section_heading_appears_twice(path):
    """A duplicated heading is a duplicated (usually stale) cell left by an edit."""
    heads = [line for cell in read_notebook(path)["cells"] if cell["cell_type"] == "markdown"
             for line in "".join(cell["source"]).splitlines() if line.startswith("## ")]
    twice = sorted({h for h in heads if heads.count(h) > 1})
    assert not twice, f"{path.name}: headings appear twice: {twice}"
