"""The maintenance tools behind course.sh: refresh never destroys work; doctor reports the setup."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFRESH = ROOT / "tools" / "refresh_notebooks.py"
DOCTOR = ROOT / "tools" / "doctor.py"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                   check=True, capture_output=True)


def tiny_notebook(path: Path, source: str = "print(6 * 7)") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    git(tmp_path, "init", "-q")
    tiny_notebook(tmp_path / "01_x.ipynb")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    return tmp_path


def refresh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REFRESH), *args], capture_output=True, text=True, timeout=300)


def test_refresh_executes_a_committed_notebook_and_records_its_setup(repo):
    proc = refresh(str(repo / "01_x.ipynb"))
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(repo / "01_x.ipynb", as_version=4)
    assert nb.cells[0].outputs[0].text == "42\n" and nb.cells[0].execution_count == 1
    recorded = nb.metadata["embcourse"]["executed_with"]
    assert {"torch", "numpy", "python", "cpu_capability", "threads"} <= set(recorded)
    assert not [p for p in repo.iterdir() if p.name.startswith(".01_x")]  # no temporary file left


def test_refresh_refuses_a_notebook_with_uncommitted_changes(repo):
    tiny_notebook(repo / "01_x.ipynb", "print('my edit')")
    before = (repo / "01_x.ipynb").read_text()
    proc = refresh(str(repo / "01_x.ipynb"))
    assert proc.returncode == 2
    assert "01_x.ipynb" in proc.stderr and "uncommitted" in proc.stderr and "--force" in proc.stderr
    assert (repo / "01_x.ipynb").read_text() == before


def test_refresh_with_force_overwrites_uncommitted_changes(repo):
    tiny_notebook(repo / "01_x.ipynb", "print('my edit')")
    assert refresh(str(repo / "01_x.ipynb"), "--force").returncode == 0
    assert nbformat.read(repo / "01_x.ipynb", as_version=4).cells[0].outputs[0].text == "my edit\n"


def test_a_failing_refresh_leaves_the_stored_notebook_as_it_was(repo):
    tiny_notebook(repo / "01_x.ipynb", "raise RuntimeError('boom')")
    git(repo, "commit", "-q", "-am", "a failing cell")
    before = (repo / "01_x.ipynb").read_text()
    proc = refresh(str(repo / "01_x.ipynb"))
    assert proc.returncode != 0 and "boom" in proc.stderr
    assert (repo / "01_x.ipynb").read_text() == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "01_x.ipynb"]


def test_doctor_reports_versions_numeric_path_and_stored_outputs():
    proc = subprocess.run([sys.executable, str(DOCTOR)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for needed in ("Python", "torch", "CPU capability", "thread", "device", "chromium",
                   "numpy", "stored outputs", "01_categorical_data_and_one_hot.ipynb"):
        assert needed in proc.stdout, f"the report does not mention {needed!r}"


def test_doctor_flags_incompatible_stored_outputs():
    sys.path.insert(0, str(ROOT / "tools"))
    from doctor import compatibility, setup

    mine = setup()
    assert compatibility(mine, dict(mine)).startswith("compatible: same versions; same numeric path")
    other_path = {**mine, "cpu_capability": "NOT-" + mine["cpu_capability"]}
    assert "within their tolerances" in compatibility(mine, other_path)
    assert compatibility(mine, {**mine, "torch": "1.0.0"}).startswith("INCOMPATIBLE")
    assert "no record" in compatibility(mine, None)


def test_refresh_records_the_cost_and_writes_one_cost_line_after_the_title(tmp_path):
    path = tmp_path / "01_x.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A title\n\nIntro."),
                nbformat.v4.new_code_cell("import subprocess, sys\nsubprocess.run([sys.executable, '-c', "
                                          "'import time; x = b\"1\" * 300_000_000; time.sleep(1)'])")]
    nbformat.write(nb, path)
    for _ in range(2):  # a second refresh rewrites the line, it does not add one
        proc = refresh(str(path), "--force")
        assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(path, as_version=4)
    cost = nb.metadata["embcourse"]["cost"]
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code"]
    assert nb.cells[1].metadata["tags"] == ["chapter-cost"]
    assert nb.cells[1].source.startswith("This chapter runs in under a minute and needs ")
    assert 0 < cost["seconds"] < 60 and cost["threads"] >= 1 and cost["cpu"]["cores"] >= 1
    assert cost["peak_bytes"] > 300_000_000, "the memory of a process the kernel starts counts"
