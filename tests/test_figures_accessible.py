"""Every figure of the book can be read without seeing it, and by colour-blind readers.

Static checks, no build and no browser (tests/test_browser.py checks the built
pages): every image a notebook cell stores carries alt text in the cell's
metadata, which myst-nb writes into the ``<img>`` tag,

    "mystnb": {"image": {"alt": "what the figure shows"},
               "figure": {"caption": "...", "name": "..."}}   # caption optional

(myst-nb's ``render_image_options`` / ``render_figure_options``, cell keys
``image`` and ``figure``: https://myst-nb.readthedocs.io/en/latest/render/format_code_cells.html);
every markdown image and figure directive in the notebooks and on the book's
pages has alt text; and no code draws with a rainbow colour map, whose bright
bands invent boundaries and whose red and green are one colour to many readers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import NOTEBOOKS, ROOT, read_notebook

BOOK_PAGES = sorted((ROOT / "book").glob("*.md"))
# The data page is being rewritten by tools/world_page.py, whose figures have :alt:;
# the page tools/data_page.py writes today has none. strict: passing again fails, so
# the marker is removed once the new page lands.
CODE = sorted((ROOT / "embcourse").rglob("*.py"))
MIN_ALT_WORDS = 8  # a sentence that says what is plotted and what to see in it
RAINBOW_MAPS = ("jet", "rainbow", "hsv", "gist_rainbow", "nipy_spectral", "gist_ncar", "turbo")
RAINBOW = re.compile(r"""(["'])(?:%s)(?:_r)?\1|\bcm\.(?:%s)\b|\bplt\.(?:jet|hsv|nipy_spectral)\(\)"""
                     % ("|".join(RAINBOW_MAPS), "|".join(RAINBOW_MAPS)))
DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>figure|image|glue:figure)\}[^\n]*\n"
                       r"(?P<body>.*?)^(?P=fence)\s*$", re.MULTILINE | re.DOTALL)
MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)[^)]*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


def image_outputs(cell: dict) -> list[str]:
    """The image MIME types a code cell stores, except glued outputs (shown where quoted)."""
    return [mime for out in cell.get("outputs", []) if "scrapbook" not in out.get("metadata", {})
            for mime in out.get("data", {}) if mime.startswith("image/")]


def output_alt(cell: dict) -> str:
    """The alt text myst-nb gives a cell's image outputs ('' when there is none)."""
    image = cell.get("metadata", {}).get("mystnb", {}).get("image", {})
    return str(image.get("alt", "")).strip() if isinstance(image, dict) else ""


def cells_without_alt(nb: dict) -> list[str]:
    """One line per code cell whose stored image has no alt text of MIN_ALT_WORDS words."""
    missing = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not image_outputs(cell):
            continue
        alt = output_alt(cell)
        if len(alt.split()) < MIN_ALT_WORDS:
            first = "".join(cell["source"]).strip().splitlines()[0][:60]
            missing.append(f"cell {i} ({first!r}): alt text {alt!r}")
    return missing


def markdown_images_without_alt(text: str) -> list[str]:
    """One line per figure/image directive, ![..](..) or <img> in ``text`` without alt text."""
    missing = []
    for m in DIRECTIVE.finditer(text):
        alt = re.search(r"^:alt:[ \t]*(.*)$", m.group("body"), re.MULTILINE)
        if not alt or len(alt.group(1).split()) < MIN_ALT_WORDS:
            missing.append(f"{{{m.group('name')}}} {m.group(0).splitlines()[0]!r}: no :alt: of "
                           f"{MIN_ALT_WORDS} words or more")
    for m in MD_IMAGE.finditer(text):
        if len(m.group("alt").split()) < 3:
            missing.append(f"![{m.group('alt')}]({m.group('src')}): alt text too short")
    for tag in HTML_IMAGE.findall(text):
        alt = re.search(r"""\balt\s*=\s*(["'])(.*?)\1""", tag, re.DOTALL)
        if not alt or len(alt.group(2).split()) < 3:
            missing.append(f"{tag[:80]}: no alt text")
    return missing


def notebook_markdown(path: Path) -> str:
    return "\n\n".join("".join(c["source"]) for c in read_notebook(path)["cells"]
                       if c["cell_type"] == "markdown")


def notebook_code(path: Path) -> str:
    return "\n\n".join("".join(c["source"]) for c in read_notebook(path)["cells"]
                       if c["cell_type"] == "code")


# The checkers themselves: they catch what they are for.

def test_a_figure_cell_without_alt_text_is_reported():
    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR"}}
    cell = {"cell_type": "code", "source": "plt.plot(x)", "metadata": {}, "outputs": [figure]}
    assert len(cells_without_alt({"cells": [cell]})) == 1
    cell["metadata"] = {"mystnb": {"image": {"alt": "a plot"}}}
    assert len(cells_without_alt({"cells": [cell]})) == 1, "two words say nothing"
    cell["metadata"] = {"mystnb": {"image": {"alt": "Loss against epoch: it falls fast, then levels off."}}}
    assert cells_without_alt({"cells": [cell]}) == []


def test_markdown_figures_and_images_without_alt_text_are_reported():
    bare = "```{figure} zipf.png\n:name: fig-zipf\n\nCounts against rank.\n```\n"
    assert len(markdown_images_without_alt(bare)) == 1
    described = bare.replace(":name:", ":alt: Log-log plot of counts against rank, falling as a "
                             "straight line\n:name:")
    assert markdown_images_without_alt(described) == []
    assert len(markdown_images_without_alt("Text ![](a.png) and <img src='b.png'>.")) == 2
    assert markdown_images_without_alt("![Three panels of loss curves](a.png)") == []


def test_the_rainbow_pattern_finds_rainbow_maps_and_nothing_else():
    for code in ['cmap="jet"', "cmap='nipy_spectral'", 'plt.get_cmap("hsv")', "cm.rainbow",
                 'cmap="turbo_r"']:
        assert RAINBOW.search(code), code
    for code in ['cmap="viridis"', 'cmap="Greys"', 'cmap="coolwarm"', "rgb_to_hsv(c)",
                 "# a rainbow of colours", 'label="jet lag"']:
        assert not RAINBOW.search(code), code


# The course.

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_a_notebook_stores_has_alt_text(path):
    missing = cells_without_alt(read_notebook(path))
    assert not missing, (f"{path.name}: figures without alt text (set the cell metadata "
                         '"mystnb": {"image": {"alt": "..."}}):\n  ' + "\n  ".join(missing))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_markdown_figure_in_a_notebook_has_alt_text(path):
    missing = markdown_images_without_alt(notebook_markdown(path))
    assert not missing, f"{path.name}:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("path", BOOK_PAGES, ids=lambda p: p.name)
def test_every_figure_on_a_book_page_has_alt_text(path):
    missing = markdown_images_without_alt(path.read_text(encoding="utf-8"))
    assert not missing, f"book/{path.name}:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("path", NOTEBOOKS + CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_rainbow_colour_map(path):
    text = notebook_code(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    found = sorted({m.group(0) for m in RAINBOW.finditer(text)})
    assert not found, (f"{path.relative_to(ROOT)} uses a rainbow colour map {found}: use viridis or "
                       "cividis (ordered values), Greys (one quantity), or a diverging map such as "
                       "coolwarm around zero")
