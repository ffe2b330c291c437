"""The data page (book/data.md, book/data_zipf.png) is what tools/data_page.py writes today."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "data_page.py"
PAGE, FIGURE = ROOT / "book" / "data.md", ROOT / "book" / "data_zipf.png"
FIGURES = ["data_zipf.png", "data_world_lengths.png", "data_world_zipf.png"]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """The page written afresh into a temporary folder, with another hash seed than the tests'."""
    out = tmp_path_factory.mktemp("data-page")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(TOOL), "--out", str(out)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


def test_committed_page_is_up_to_date(regenerated):
    fresh = (regenerated / "data.md").read_text(encoding="utf-8")
    committed = PAGE.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                        "book/data.md (committed)", "tools/data_page.py (now)", n=1))
    assert fresh == committed, ("book/data.md is out of date: run `.venv/bin/python tools/data_page.py`\n"
                                + diff[:4000])


@pytest.mark.parametrize("name", FIGURES)
def test_committed_figure_is_up_to_date(regenerated, name):
    fresh = matplotlib.image.imread(regenerated / name)
    committed = matplotlib.image.imread(ROOT / "book" / name)
    assert fresh.shape == committed.shape, f"book/{name} is out of date: run tools/data_page.py"
    assert np.abs(fresh - committed).mean() < 0.002, f"book/{name} is out of date: run tools/data_page.py"


@pytest.mark.parametrize("name", FIGURES)
def test_figure_is_small_and_not_blank(name):
    image = matplotlib.image.imread(ROOT / "book" / name)[..., :3]
    assert image.shape[1] == 600 and image.shape[0] in (360, 400), "expected width 6 in at dpi 100"
    assert 0.01 < (image.mean(axis=-1) < 0.5).mean() < 0.5, "the figure is blank or a solid block"


def test_page_has_every_section_the_book_promises():
    text = PAGE.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == ["How it is generated", "Samples", "Sizes", "Vocabulary statistics",
                        "What is held out", "Its limits, compared with real corpora",
                        "Using a real Tatoeba file instead", "The bigger world"]
    for name in FIGURES:
        assert f"```{{figure}} {name}" in text, name
    assert "{cite}`zipf1949human`" in text and "{cite}`tiedemann2012tatoeba`" in text


def test_samples_tables_hold_pairs_the_generator_makes():
    from embcourse.corpus import translation_pairs

    pairs = set(translation_pairs(50_000, seed=0))
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Samples", 1)[1].split("Six sentences", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith(("| shows", "| #", "| ---"))]
    assert len(rows) == 20, f"expected 10 showcase and 10 random pairs, got {len(rows)} rows"
    missing = [r for r in rows if (r[1], r[2]) not in pairs]
    assert not missing, f"pairs on the page that the generator does not make: {missing}"


def test_page_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    back = [p for p in toc["parts"] if p.get("caption") == "Back matter"]
    assert back and {"file": "book/data"} in back[0]["chapters"]
