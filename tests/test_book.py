"""The book builds with warnings as errors, and its chapter pages hold what a reader needs."""

import re

import pytest
from bs4 import BeautifulSoup

from conftest import NOTEBOOKS, ROOT, read_notebook


def page(built_book, path):
    html = built_book / "notebooks" / (path.stem + ".html")
    assert html.exists(), f"{html.name} was not built: is {path.name} in _toc.yml?"
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


def test_every_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for path in NOTEBOOKS:
        assert f"notebooks/{path.stem}" in toc, f"{path.name} is missing from _toc.yml"


def test_front_and_back_matter_are_built(built_book):
    for name in ("index", "book/preface", "book/glossary", "book/references"):
        assert (built_book / f"{name}.html").exists(), name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_page_has_numbered_exercises(built_book, path):
    soup = page(built_book, path)
    exercises = soup.select("div.exercise")
    assert len(exercises) >= 3
    titles = [e.select_one(".admonition-title").get_text(" ", strip=True) for e in exercises]
    assert all(re.match(r"Exercise \d+", t) for t in titles), titles


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_page_hides_every_solution_until_clicked(built_book, path):
    soup = page(built_book, path)
    solutions = soup.select("div.solution")
    assert len(solutions) >= len(soup.select("div.exercise"))
    for sol in solutions:
        assert "dropdown" in sol["class"], "solutions must be collapsed (:class: dropdown)"
    answers = soup.select("div.admonition.dropdown:not(.solution)")
    assert len(answers) >= 3, "review questions need model answers in dropdowns"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_page_shows_every_figure(built_book, path):
    soup = page(built_book, path)
    n_figures = sum(1 for c in read_notebook(path)["cells"] if c["cell_type"] == "code"
                    for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    images = [img for img in soup.select("img") if img.get("src", "").startswith("../_images/")]
    assert n_figures >= 1 and len(images) >= n_figures
    for img in images:
        assert (built_book / "notebooks" / img["src"]).resolve().exists(), img["src"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glossary_terms_and_glued_numbers_resolve(built_book, path):
    soup = page(built_book, path)
    assert soup.select('a[href*="glossary.html#term-"]'), "the chapter links no glossary term"
    text = soup.get_text(" ")
    assert "{glue" not in text and "{term}" not in text, "an unresolved role was rendered as text"


def test_no_built_page_shows_test_plumbing(built_book):
    """Checked cells are marked with nbval's cell tags, which the book never shows."""
    pages = [p for p in built_book.rglob("*.html") if "_static" not in p.parts]
    assert pages
    for html in pages:
        raw = html.read_text(encoding="utf-8")
        assert "NBVAL" not in raw, f"{html.name} contains NBVAL"
        shown = BeautifulSoup(raw, "html.parser").get_text(" ").lower()
        assert "nbval" not in shown, f"{html.name} shows nbval plumbing to the reader"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_claim_cells_are_hidden_from_the_reader(built_book, path):
    claims = [c for c in read_notebook(path)["cells"]
              if c["cell_type"] == "code" and "claim(" in "".join(c["source"])]
    assert claims, f"{path.name} guards no conclusion with a claim"
    text = page(built_book, path).get_text(" ")
    assert "claim(" not in text, "a claim cell is shown on the page (tag it remove-cell)"
