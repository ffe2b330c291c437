"""Write the student edition: every chapter notebook without its solutions.

`bash course.sh student` writes `student/NN_x.ipynb` for every
`notebooks/NN_x.ipynb` (or only the notebooks named on the command line):

- each gated solution block is removed: the markdown cell holding
  ```{solution-start} ...```, the markdown cell holding ```{solution-end}```,
  and every cell between them (the solution's code cells and prose); an
  ungated ```{solution} ...``` directive is removed the same way;
- the outputs of the exercise cells (the code cells of the Exercises section:
  after an ``{exercise}`` directive, up to the next ``#``/``##`` heading) are
  cleared, so the stubs show no stored result;
- everything else is copied unchanged, stored outputs included.

Text that shares a markdown cell with a marker but lies outside the solution
is kept. An unbalanced marker (a start without its end, an end without its
start, a start inside an open solution) stops the command with a ValueError
naming the notebook and the cell. `student/` sits beside `notebooks/` so that
paths relative to the notebook (``../data_cache``) work the same; it is
git-ignored.

It never destroys a learner's work. Each notebook it writes records a
fingerprint of its cells' sources; a later run overwrites a student notebook
only when its sources still match that fingerprint. A notebook the learner
has edited (or one not written by this tool) is refused, unless ``--force`` is
given, which first keeps a copy beside it as ``NN_x.ipynb.bak``. An output
folder that holds the source notebooks is refused.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import re
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# An opening fence of a MyST directive: ```{name} ..., ~~~{name}, :::{name}.
FENCE_OPEN = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[\w:-]+)\}")
HEADING = re.compile(r"^\s{0,3}#{1,2}\s")


def _closes(line: str, fence: str) -> bool:
    """True when ``line`` closes a directive opened with ``fence``."""
    text = line.strip()
    return len(text) >= len(fence) and set(text) == {fence[0]}


def strip_solutions(text: str, inside: bool, where: str) -> tuple[str, bool]:
    """Remove solution text from one markdown cell; return (kept text, inside after the cell).

    ``inside`` says whether a gated solution is open when the cell starts.
    """
    kept: list[str] = []
    closing: str | None = None  # fence of the marker directive being skipped
    ungated = False  # the directive being skipped is a whole {solution}
    for line in text.splitlines(keepends=True):
        if closing is not None:
            if _closes(line, closing):
                closing = None
                inside = inside if not ungated else False
            continue
        m = FENCE_OPEN.match(line)
        name = m.group("name") if m else None
        if name == "solution-start":
            if inside:
                raise ValueError(f"{where}: solution-start inside an open solution block "
                                 "(expected solution-end first)")
            closing, inside, ungated = m.group("fence"), True, False
        elif name == "solution-end":
            if not inside:
                raise ValueError(f"{where}: solution-end without a solution-start before it")
            closing, inside, ungated = m.group("fence"), False, False
        elif name == "solution" and not inside:
            closing, inside, ungated = m.group("fence"), True, True
        elif not inside:
            kept.append(line)
    if closing is not None:
        raise ValueError(f"{where}: the {{solution...}} directive opened here is never closed "
                         f"(expected a line {closing!r})")
    return "".join(kept), inside


def _is_exercise_start(text: str) -> bool:
    return any((m := FENCE_OPEN.match(line)) and m.group("name") in ("exercise", "exercise-start")
               for line in text.splitlines())


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions and with the exercise cells' outputs cleared."""
    out = copy.deepcopy(nb)
    cells, inside, in_exercises = [], False, False
    for i, cell in enumerate(out.cells):
        where = f"{name}, cell {i}"
        if cell.cell_type == "markdown":
            if not inside and any(HEADING.match(line) for line in cell.source.splitlines()):
                in_exercises = False
            was_inside = inside
            kept, inside = strip_solutions(cell.source, inside, where)
            if not was_inside and _is_exercise_start(kept):
                in_exercises = True
            if kept == cell.source:
                cells.append(cell)
            elif kept.strip():
                cell.source = kept.strip("\n")
                cells.append(cell)
            continue
        if inside:
            continue
        if cell.cell_type == "code" and in_exercises:
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    if inside:
        raise ValueError(f"{name}: a solution-start has no matching solution-end "
                         "before the end of the notebook")
    out.cells = cells
    return out


def write_atomically(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to ``path`` (mode 0644) through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".ipynb")
    os.close(fd)
    try:
        nbformat.write(nb, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fingerprint(cells: list) -> str:
    """SHA-256 of the cells' types and sources: what a learner edits."""
    text = json.dumps([[c["cell_type"], "".join(c["source"])] for c in cells], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def learner_changed(path: Path) -> bool:
    """True when the student notebook at ``path`` is not as this tool wrote it."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        written = nb["metadata"]["embcourse"]["student_edition"]["fingerprint"]
        return fingerprint(nb["cells"]) != written
    except (OSError, ValueError, KeyError, TypeError):
        return True  # unreadable, or not written by this tool: treat as the learner's


def backup_path(path: Path) -> Path:
    """The first free name among NN_x.ipynb.bak, NN_x.ipynb.bak2, ..."""
    candidate, n = path.with_name(path.name + ".bak"), 2
    while candidate.exists():
        candidate, n = path.with_name(f"{path.name}.bak{n}"), n + 1
    return candidate


def write_student(nb: nbformat.NotebookNode, path: Path, force: bool) -> str:
    """Write one student notebook without destroying edits; return what was done."""
    nb.metadata.setdefault("embcourse", {})["student_edition"] = {"fingerprint": fingerprint(nb.cells)}
    kept = ""
    if path.exists() and learner_changed(path):
        if not force:
            raise FileExistsError(
                f"{path} has changes since it was written (your work?); not overwritten. "
                "Move it away, or pass --force to overwrite it (a .bak copy is kept)")
        backup = backup_path(path)
        shutil.copy2(path, backup)
        kept = f" (your version kept as {backup.name})"
    write_atomically(nb, path)
    return f"wrote {path.parent.name}/{path.name}{kept}"


def chapter_notebooks(folder: Path = ROOT / "notebooks") -> list[Path]:
    """Every chapter notebook ``NN_*.ipynb`` in ``folder``, sorted."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default student/)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite student notebooks you have edited (each is kept as .bak first)")
    args = parser.parse_args(argv)
    paths = args.notebooks or chapter_notebooks()
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            parser.error(f"{p}: not a notebook file (expected an existing .ipynb)")
    if not paths:
        parser.error("no chapter notebooks found in notebooks/ (expected NN_*.ipynb)")
    sources = {p.resolve().parent for p in paths} | {(ROOT / "notebooks").resolve()}
    if args.out.resolve() in sources:
        parser.error(f"--out {args.out}: that folder holds the source notebooks; writing the "
                     "student edition there would remove their solutions (choose another folder)")
    refused = 0
    for p in paths:
        nb = student_notebook(nbformat.read(p, as_version=4), name=p.name)
        try:
            print(write_student(nb, args.out / p.name, args.force))
        except FileExistsError as err:
            print(f"refused: {err}", file=sys.stderr)
            refused += 1
    return 2 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
