"""Sphinx extension: write each script tag of a page once.

Sphinx 7.4 adds an inline script registered after the builder starts
(``app.add_js_file(None, body=...)``, as sphinx-thebe and sphinx-togglebutton
do) to every page twice: once under the name ``None`` and once under ``''``.
The second copy of sphinx-thebe's ``const THEBE_JS_URL = ...`` then fails in
the browser ("Identifier 'THEBE_JS_URL' has already been declared"), an error
on every page of the book. This keeps the first of scripts that are the same.
"""

from __future__ import annotations

import os
from typing import Any


def _key(js: Any) -> tuple:
    if not hasattr(js, "attributes"):  # a plain file name
        return os.fspath(js), None, ()
    filename = os.fspath(js.filename) if js.filename else ""
    return filename, js.priority, tuple(sorted((k, str(v)) for k, v in js.attributes.items()))


def unique_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated entries from the page's ``script_files``."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    kept = []
    for js in scripts:
        if _key(js) not in seen:
            seen.add(_key(js))
            kept.append(js)
    context["script_files"] = kept


def setup(app) -> dict:
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
