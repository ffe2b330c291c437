"""Shared fixtures: the built book (built once per test session, xdist-safe)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def build_book(out: Path) -> subprocess.CompletedProcess:
    """Build the book with warnings as errors into ``out``; return the finished process."""
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, worker_id) -> Path:
    """The HTML folder of the book built from this tree, built once per test session.

    Under pytest-xdist the workers share one build through a file lock; the
    build's exit status and log are stored beside it so that every worker sees
    a failed build as a failure.
    """
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    out, status = shared / "book", shared / "book-status.json"
    with FileLock(str(shared / "book.lock")):
        if not status.exists():
            proc = build_book(out)
            status.write_text(json.dumps({"returncode": proc.returncode,
                                          "log": (proc.stdout + proc.stderr)[-20000:]}))
    result = json.loads(status.read_text())
    if result["returncode"] != 0:
        pytest.fail("the book build failed (warnings are errors):\n" + result["log"])
    return out / "_build" / "html"


def toc_files() -> list[str]:
    """Every page of _toc.yml (the root first), without suffix, in order."""
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files.append(toc["root"])
    walk({k: v for k, v in toc.items() if k != "root"})
    return [f.removesuffix(".ipynb").removesuffix(".md") for f in files]


def toc_chapters() -> list[str]:
    """The chapter notebooks listed in _toc.yml, as 'notebooks/NN_x' (no suffix), in order."""
    return [f for f in toc_files() if f.startswith("notebooks/")]


def read_notebook(path: Path) -> dict:
    """A notebook's JSON."""
    return json.loads(path.read_text(encoding="utf-8"))


# The longest test scopes are the notebook runs (nbval over a chapter, and the
# student edition's run of the same chapter). Under ``pytest -n 2 --dist
# loadscope`` a scope that starts last finishes last, so the slowest chapters
# are started first and the short unit tests fill in around them. Chapters are
# listed slowest first, as measured by ``--durations``; a chapter not listed
# keeps its place after them.
SLOWEST_CHAPTERS_FIRST = ("07_", "06_", "03_", "05_", "04_", "02_", "08_")


def _chapter_rank(item) -> int:
    nodeid = item.nodeid
    if nodeid.startswith("notebooks/") or "TestStudentEdition_" in nodeid:
        name = nodeid.split("/", 1)[1] if nodeid.startswith("notebooks/") else nodeid.split("TestStudentEdition_", 1)[1]
        for rank, prefix in enumerate(SLOWEST_CHAPTERS_FIRST):
            if name.startswith(prefix):
                return rank
    return len(SLOWEST_CHAPTERS_FIRST)


def pytest_collection_modifyitems(session, config, items):
    # A stable sort: the cells of one notebook keep their order.
    items.sort(key=_chapter_rank)
